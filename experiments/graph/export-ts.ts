// Export as code: a graph becomes a self-contained TypeScript script against
// `sparse-ad-lab/engine` that builds the same problem with plain engine calls and
// trains it — how a problem leaves the lab for a person's own code. The script
// is written as a person would write it (a variable per node output, named
// after the node; one statement per op; loops for the iteration blocks; the
// optimizer loop), not as an interpreter of the graph, and it computes the same
// numbers as the runner (compile.ts, run.ts):
//   - constants once, then per run: the random draws and the parameters in the
//     graph's order, each random stream a Generator(mixSeed(mixSeed(seed, run), stream));
//   - every epoch: fresh draws for resampled sources (after the first), the
//     forward pass in the order the runner evaluates it (depth first from the
//     objective losses, inputs in wiring order), backward, the optimizer step;
//   - the final loss: one more forward pass after the last step, dropout off.
// Helpers the kinds share (diffusion assembly, CG, grid data, …) are copied
// into the script from their source files, so there is one definition of each.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as engine from '../../native/lib/index.js';
import { kindDef, streamOf, type KindDef } from './catalogue.js';
import { defaultDataDir, resolveDataPath } from './data-dir.js';
import './kinds/index.js';
import { choleskyOptions, krylovOptions } from './kinds/sparse-solvers.js';
import { type Graph, GraphError, type GraphNode, GraphSchema } from './schema.js';

export interface ExportOptions {
  /** Folder relative data paths resolve against (default: defaultDataDir()); the script gets absolute paths. */
  dataDir?: string;
  /** Folder of the graph file, tried first for relative paths. */
  specDir?: string;
}

// ---------------------------------------------------------------------------
// Helpers copied from their source files

/** Where each helper a kind's code calls is defined (relative to this folder, without extension). */
const HELPER_FILES: Record<string, string> = {
  diffusionPattern: 'kinds/fields',
  assembleDiffusion2d: 'kinds/fields',
  pcgResiduals: 'kinds/iteration',
  stack: 'kinds/iteration',
  residualWeights: 'kinds/losses',
  applySparse: 'kinds/sparse-ops',
  rhsLike: 'kinds/iteration',
  gridField: 'ext/grid',
  gaussianSources: 'ext/grid',
  gridGradient: 'ext/grid',
  matrixAdjacency: 'ext/matrix-graph',
  voronoiLabels: 'ext/matrix-graph',
  clusteredFeatures: 'ext/matrix-graph',
  randomSplit: 'ext/matrix-graph',
  addNoise: 'ext/noise',
  smooth: 'ext/solvers',
  conjugateGradient: 'ext/solvers',
  applyTo: 'ext/solvers',
  accuracy: 'ext/metrics',
  loadGraphFolder: '../data/graph',
  readMatrixFile: '../data/matrix-file',
};

const helperFile = (name: string): string | undefined => (Object.hasOwn(HELPER_FILES, name) ? HELPER_FILES[name] : undefined);

/** Node built-ins the copied helpers may use, and their modules. */
const NODE_BUILTINS: Record<string, string> = {
  existsSync: 'node:fs',
  readFileSync: 'node:fs',
  readFile: 'node:fs/promises',
  join: 'node:path',
  basename: 'node:path',
  resolve: 'node:path',
  dirname: 'node:path',
};

interface Declaration {
  name: string;
  /** The declaration with the comment lines directly above it, `export ` removed. */
  text: string;
  /** Position in its file (helpers are emitted in file order). */
  index: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const fileCache = new Map<string, Declaration[]>();

/** Code with string literals and comments blanked, for bracket counting and identifier scans. */
function codeOnly(line: string): string {
  return line
    .replace(/\/\/.*$/, '')
    .replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
}

/** The top-level declarations of a source file (the .ts beside this one, or the .js of a build). */
function declarations(file: string): Declaration[] {
  const hit = fileCache.get(file);
  if (hit) return hit;
  const path = [join(here, `${file}.ts`), join(here, `${file}.js`)].find((p) => existsSync(p));
  if (!path) throw new Error(`exportTypeScript: the source of ${file} is not beside ${here}`);
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const out: Declaration[] = [];
  const start = /^(?:export\s+)?(?:async\s+)?(?:function\*?|const|let|type|interface|class)\s+([A-Za-z_$][\w$]*)/;
  for (let i = 0; i < lines.length; i++) {
    const m = start.exec(lines[i]!);
    if (!m) continue;
    // The comment lines directly above belong to it.
    let first = i;
    while (first > 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[first - 1]!)) first--;
    // It ends where its brackets close on a line ending a statement or a block.
    let depth = 0;
    let last = i;
    for (; last < lines.length; last++) {
      for (const ch of codeOnly(lines[last]!)) {
        if (ch === '(' || ch === '[' || ch === '{') depth++;
        else if (ch === ')' || ch === ']' || ch === '}') depth--;
      }
      if (depth === 0 && /[;}]\s*$/.test(codeOnly(lines[last]!))) break;
    }
    const text = lines
      .slice(first, last + 1)
      .join('\n')
      .replace(/^export\s+/m, '');
    out.push({ name: m[1]!, text, index: out.length });
    i = last;
  }
  fileCache.set(file, out);
  return out;
}

/**
 * The helpers' source with every declaration they use (of their own files, or
 * another helper), grouped by file in file order, files in the order first needed.
 */
function helperSource(names: Set<string>): string {
  const need = new Map<string, Set<string>>(); // file → names
  const visit = (name: string, file: string): void => {
    if (need.get(file)?.has(name)) return;
    const decls = declarations(file);
    const d = decls.find((x) => x.name === name);
    if (!d) throw new Error(`exportTypeScript: ${name} is not declared in ${file}`);
    if (!need.has(file)) need.set(file, new Set());
    need.get(file)!.add(name);
    for (const id of identifiers(d.text)) {
      if (id === name) continue;
      if (decls.some((x) => x.name === id)) visit(id, file);
      else if (helperFile(id) && helperFile(id) !== file) visit(id, helperFile(id)!);
    }
  };
  for (const name of names) {
    const file = helperFile(name);
    if (!file) throw new Error(`exportTypeScript: no source for helper ${name}`);
    visit(name, file);
  }
  const parts: string[] = [];
  for (const [file, wanted] of [...need].reverse()) for (const d of declarations(file)) if (wanted.has(d.name)) parts.push(d.text);
  return parts.join('\n\n');
}

function identifiers(code: string): Set<string> {
  const out = new Set<string>();
  for (const line of code.split('\n')) {
    const c = codeOnly(line).replace(/\/\*.*?\*\//g, '');
    if (/^\s*\*/.test(c) || /^\s*\/\*/.test(c)) continue;
    for (const m of c.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)) out.add(m[0]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// What each node kind becomes

interface EmitContext {
  node: GraphNode;
  /** The node's variable name (its id as an identifier); locals of its code may add suffixes. */
  name: string;
  /** The node's fields, defaults filled. */
  f: Record<string, any>;
  /** The variable on an input port (undefined when not wired). */
  in(port: string): string | undefined;
  /** The variable an output port is assigned to. */
  out(port: string): string;
  /** The node's element type (its dtype field, or training.dtype). */
  dtype: string;
  /** The node's random stream. */
  stream: number;
  /** Helpers the script must include. */
  use(...helpers: string[]): void;
  /** The training settings' dtype. */
  trainingDtype: string;
  /** Whether an output port has an edge. */
  used(port: string): boolean;
  /** The element type flowing into an input port (as far as it can be told from the graph). */
  inDtype(port: string): string;
}

interface KindCode {
  /** Statements run once before anything else (what the kind's build does, e.g. a fixed assembly). */
  setup?(c: EmitContext): string[];
  /** Statements computing the node's outputs from its inputs. */
  code(c: EmitContext): string[];
  /** Parameters: statements creating the learnable leaf (assigned to out(leafPort)). */
  create?(c: EmitContext): string[];
  leafPort?: string;
}

const lit = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v));
const weighted = (expr: string, w: number): string => (w === 1 ? expr : `mul(${expr}, ${lit(w)})`);
const req = (c: EmitContext, port: string): string => {
  const v = c.in(port);
  if (!v) throw new Error(`exportTypeScript: input ${port} of ${c.node.kind} "${c.node.id}" is not connected`);
  return v;
};
const opt = (c: EmitContext, port: string): string => c.in(port) ?? 'null';

/** Sparse times a vector or a block (kinds/sparse-ops applySparse). */
const applySparse = (c: EmitContext, A: string, X: string): string => {
  c.use('applySparse');
  return `applySparse(${A}, ${X})`;
};

/** `, { key: value, … }` for an options object (nothing when it is empty): its values as literals, or the code given for a key (a variable). */
function optionsCode(o: Record<string, unknown>, code: Record<string, string> = {}): string {
  const entries = Object.entries(o).map(([k, v]) => `${k}: ${code[k] ?? lit(v)}`);
  return entries.length ? `, { ${entries.join(', ')} }` : '';
}

/** A Krylov node: the engine call, then its convergence record as tensors where an output is wired (kinds/sparse-solvers). */
function krylovCode(method: string): KindCode {
  return {
    code(c) {
      const b = req(c, 'b');
      // The options as the node passes them; a preconditioner matrix is the variable on input M.
      const o = krylovOptions(c.f as never, undefined) as Record<string, unknown>;
      const code: Record<string, string> = c.f.preconditioner === 'matrix' ? { preconditioner: req(c, 'M') } : {};
      const info = `${c.name}Info`;
      const record = c.used('residuals') || c.used('iterations');
      return [
        `const { x: ${c.out('x')}${record ? `, info: ${info}` : ''} } = ${method}(${req(c, 'A')}, ${b}${optionsCode(o, code)});`,
        ...(c.used('residuals') ? [`const ${c.out('residuals')} = tensor(${info}.residuals, { dtype: ${b}.dtype }); // relative residual per iteration`] : []),
        ...(c.used('iterations') ? [`const ${c.out('iterations')} = tensor(${info}.iterations, { dtype: ${b}.dtype });`] : []),
      ];
    },
  };
}

function binary(fn: string): KindCode {
  return { code: (c) => [`const ${c.out('y')} = ${fn}(${req(c, 'a')}, ${req(c, 'b')});`] };
}
function unary(fn: string): KindCode {
  return { code: (c) => [`const ${c.out('y')} = ${fn}(${req(c, 'x')});`] };
}

/** The learnable leaf of a vector or dense parameter (parameters.ts initTensor). */
function initCode(c: EmitContext, shape: string, rowsCols: [string, string] | null): string[] {
  const v = c.out('value');
  const d = lit(c.dtype);
  switch (c.f.init) {
    case 'constant':
      return [`const ${v} = full(${shape}, ${lit(c.f.value)}, { dtype: ${d}, requiresGrad: true });`];
    case 'glorot':
      if (!rowsCols) return [`const ${v} = zeros(${shape}, { dtype: ${d}, requiresGrad: true }); // a bias: zeros, as Kipf's code`];
      return [
        `const ${v}Range = Math.sqrt(6 / (${rowsCols[0]} + ${rowsCols[1]})); // Glorot uniform`,
        `const ${v} = rand(${shape}, { low: -${v}Range, high: ${v}Range, generator: stream(${c.stream}), dtype: ${d}, requiresGrad: true });`,
      ];
    case 'uniform':
      return [`const ${v} = rand(${shape}, { low: ${lit(-c.f.value)}, high: ${lit(c.f.value)}, generator: stream(${c.stream}), dtype: ${d}, requiresGrad: true });`];
    default:
      return [
        `const ${v} = zeros(${shape}, { dtype: ${d} });`,
        `for (let i = 0; i < ${v}.data.length; i++) ${v}.data[i] = ${lit(c.f.value)} * stream(${c.stream}).normal();`,
        `${v}.requiresGrad_();`,
      ];
  }
}

const PATTERN_CODE: Record<string, (A: string, n: string, d: string) => string> = {
  like: (A) => A,
  diagonal: (_A, n, d) => `eye(${n}, { dtype: ${d} })`,
  'lower bidiagonal': (_A, n, d) => `${n} > 1 ? diags([1, 1], [0, -1], [${n}, ${n}], { dtype: ${d} }) : eye(${n}, { dtype: ${d} })`,
  'upper bidiagonal': (_A, n, d) => `${n} > 1 ? diags([1, 1], [0, 1], [${n}, ${n}], { dtype: ${d} }) : eye(${n}, { dtype: ${d} })`,
  tridiagonal: (_A, n, d) => `${n} > 1 ? diags([1, 1, 1], [-1, 0, 1], [${n}, ${n}], { dtype: ${d} }) : eye(${n}, { dtype: ${d} })`,
  'lower triangle': (A) => `tril(${A})`,
  'upper triangle': (A) => `triu(${A})`,
};

const KINDS: Record<string, KindCode> = {
  // Sources
  poisson1d: { code: (c) => [`const ${c.out('A')} = poisson1d(${c.f.n}, { dtype: ${lit(c.dtype)} });`] },
  poisson2d: { code: (c) => [`const ${c.out('A')} = poisson2d(${c.f.nx}, ${c.f.ny}, { dtype: ${lit(c.dtype)} });`] },
  'matrix-file': {
    code: (c) => [`const { matrix: ${c.out('A')} } = await readMatrixMarket(${lit(c.f.path)}, { dtype: ${lit(c.dtype)} });`],
  },
  vector: {
    code(c) {
      const b = c.out('b');
      const n = c.f.length > 0 ? String(c.f.length) : `${req(c, 'like')}.rows`;
      const d = lit(c.dtype);
      const lines: string[] = [];
      let values: string;
      switch (c.f.fill) {
        case 'zero':
          values = `new Float64Array(${n})`;
          break;
        case 'ones':
          values = `new Float64Array(${n}).fill(1)`;
          break;
        case 'constant':
          values = `new Float64Array(${n}).fill(${lit(c.f.value)})`;
          break;
        case 'random':
          lines.push(`const ${b}Values = new Float64Array(${n});`, `for (let i = 0; i < ${b}Values.length; i++) ${b}Values[i] = stream(${c.stream}).${c.f.distribution === 'normal' ? 'normal' : 'uniform'}();`);
          values = `${b}Values`;
          break;
        case 'linear': {
          // Entry k: the (k mod period)-th interior point of (−1, 1).
          const m = c.f.period > 0 ? String(c.f.period) : `${b}Values.length`;
          lines.push(`const ${b}Values = new Float64Array(${n});`, `for (let i = 0; i < ${b}Values.length; i++) ${b}Values[i] = -1 + (2 * ((i % ${m}) + 1)) / (${m} + 1);`);
          values = `${b}Values`;
          break;
        }
        default:
          throw new Error(`exportTypeScript: vector "${c.node.id}": fill '${c.f.fill}' has no TypeScript form yet`);
      }
      if (c.f.columns > 0) {
        if (values !== `${b}Values`) lines.push(`const ${b}Values = ${values};`);
        lines.push(
          `const ${b} = zeros([${b}Values.length, ${c.f.columns}], { dtype: ${d} }); // b in every column`,
          `for (let i = 0; i < ${b}Values.length; i++) ${b}.data.fill(${b}Values[i]!, i * ${c.f.columns}, (i + 1) * ${c.f.columns});`,
        );
      } else {
        lines.push(`const ${b} = tensor(${values}, { dtype: ${d} });`);
      }
      return lines;
    },
  },
  'random-block': {
    code(c) {
      const X = c.out('X');
      const n = c.f.rows > 0 ? String(c.f.rows) : `${req(c, 'like')}.rows`;
      return [
        `const ${X} = zeros([${n}, ${c.f.count}], { dtype: ${lit(c.dtype)} });`,
        `for (let i = 0; i < ${X}.data.length; i++) ${X}.data[i] = stream(${c.stream}).${c.f.distribution === 'normal' ? 'normal' : 'uniform'}();`,
      ];
    },
  },
  'random-sparse': {
    code(c) {
      const A = c.out('A');
      const f = c.f;
      const g = `stream(${c.stream})`;
      const value = f.values === 'ones' ? '1' : `${g}.${f.values === 'normal' ? 'normal' : 'uniform'}()`;
      // Each row draws its entries by geometric skips (sources.ts random-sparse).
      const skip = f.density >= 1 ? null : `Math.floor(Math.log(1 - ${g}.uniform()) / ${A}LogQ)`;
      const lines = [
        `// ${f.rows}×${f.cols}, each entry present with probability ${f.density}: gaps between entries are geometric`,
        `const ${A}Rows: number[] = [];`,
        `const ${A}Cols: number[] = [];`,
        `const ${A}Values: number[] = [];`,
        ...(skip ? [`const ${A}LogQ = Math.log1p(-${lit(Math.min(f.density, 1 - 1e-12))});`] : []),
        `for (let i = 0; i < ${f.rows}; i++) {`,
        `  for (let j = ${skip ?? '0'}; j < ${f.cols}; j += ${skip ? `1 + ${skip}` : '1'}) {`,
        `    ${A}Rows.push(i);`,
        `    ${A}Cols.push(j);`,
        `    ${A}Values.push(${value});`,
        `  }`,
        `}`,
      ];
      if (!f.spd) return [...lines, `const ${A} = CsrMatrix.fromCoo(${A}Rows, ${A}Cols, ${A}Values, [${f.rows}, ${f.cols}], { dtype: ${lit(c.dtype)} });`];
      return [
        ...lines,
        `// SPD: (B + Bᵀ)/2 off the diagonal, and on it 1 + Σ_j |off-diagonal| (Gershgorin)`,
        `const ${A}Diagonal = new Float64Array(${f.rows}).fill(1);`,
        `const ${A}SymRows: number[] = [];`,
        `const ${A}SymCols: number[] = [];`,
        `const ${A}SymValues: number[] = [];`,
        `for (let k = 0; k < ${A}Rows.length; k++) {`,
        `  if (${A}Rows[k] === ${A}Cols[k]) continue;`,
        `  for (const [a, b] of [[${A}Rows[k]!, ${A}Cols[k]!], [${A}Cols[k]!, ${A}Rows[k]!]]) {`,
        `    ${A}SymRows.push(a!);`,
        `    ${A}SymCols.push(b!);`,
        `    ${A}SymValues.push(${A}Values[k]! / 2);`,
        `    ${A}Diagonal[a!]! += Math.abs(${A}Values[k]! / 2);`,
        `  }`,
        `}`,
        `for (let i = 0; i < ${f.rows}; i++) {`,
        `  ${A}SymRows.push(i);`,
        `  ${A}SymCols.push(i);`,
        `  ${A}SymValues.push(${A}Diagonal[i]!);`,
        `}`,
        `const ${A} = CsrMatrix.fromCoo(${A}SymRows, ${A}SymCols, ${A}SymValues, [${f.rows}, ${f.rows}], { dtype: ${lit(c.dtype)} });`,
      ];
    },
  },
  scalar: { code: (c) => [`const ${c.out('value')} = tensor(${lit(c.f.value)}, { dtype: ${lit(c.dtype)} });`] },
  'graph-dataset': {
    code(c) {
      if (c.f.format !== 'folder') throw new Error(`exportTypeScript: graph-dataset "${c.node.id}": only graph folders (format 'folder') can be exported yet`);
      c.use('loadGraphFolder');
      const g = `${c.name}Graph`;
      const d = lit(c.trainingDtype);
      const lines = [`const ${g} = await loadGraphFolder(${lit(c.f.path)});`];
      let adjacency = `${g}.adjacency`;
      if (c.f.selfLoops === 'kipf') {
        // Kipf's code keeps the raw graph's self-loops on the diagonal.
        lines.push(
          `const ${g}Loops = Array.from(${g}.selfLoops);`,
          `const ${g}Adjacency = ${g}Loops.length > 0 ? spadd(${g}.adjacency, CsrMatrix.fromCoo(${g}Loops, ${g}Loops, ${g}Loops.map(() => 1), [${g}.nodes, ${g}.nodes])) : ${g}.adjacency;`,
        );
        adjacency = `${g}Adjacency`;
      }
      lines.push(
        `const ${c.out('adjacency')} = astype(${adjacency}, ${d});`,
        `const ${c.out('features')} = astype(${g}.features, ${d});`,
        `const ${c.out('labels')} = ${g}.labels;`,
        `const ${c.out('onehot')} = zeros([${g}.nodes, ${g}.classes], { dtype: ${d} });`,
        `${g}.labels.forEach((l, i) => { if (l >= 0) ${c.out('onehot')}.data[i * ${g}.classes + l] = 1; });`,
        `const { train: ${c.out('train')}, val: ${c.out('val')}, test: ${c.out('test')} } = ${g}.split;`,
      );
      return lines;
    },
  },

  // Parameters
  'scalar-parameter': { leafPort: 'value', code: () => [], create: (c) => [`const ${c.out('value')} = full([], ${lit(c.f.init)}, { dtype: ${lit(c.dtype)}, requiresGrad: true });`] },
  'vector-parameter': {
    leafPort: 'value',
    code: () => [],
    create(c) {
      const n = c.f.length > 0 ? String(c.f.length) : c.in('like') ? `${c.in('like')}.rows` : `(${req(c, 'sizeOf')}.shape.at(-1) ?? 1)`;
      return initCode(c, `[${n}]`, null);
    },
  },
  'dense-parameter': {
    leafPort: 'value',
    code: () => [],
    create(c) {
      const rows = c.f.rows > 0 ? String(c.f.rows) : `${req(c, 'rowsOf')}.cols`;
      const cols = c.f.cols > 0 ? String(c.f.cols) : `(${req(c, 'colsOf')}.shape.at(-1) ?? 1)`;
      return initCode(c, `[${rows}, ${cols}]`, [rows, cols]);
    },
  },
  'sparse-parameter': {
    leafPort: 'value',
    code: () => [],
    create(c) {
      const P = c.out('value');
      const like = req(c, 'like');
      const d = lit(c.dtype);
      return [
        `const ${P}Pattern = ${PATTERN_CODE[c.f.pattern]!(`${like}.detach()`, `${like}.rows`, d)};`,
        `const ${P}Init = new Float64Array(${P}Pattern.nnz); // ${lit(c.f.diagonal)} on the diagonal, ${lit(c.f.offDiagonal)} elsewhere`,
        `const { indptr: ${P}Indptr, indices: ${P}Indices } = ${P}Pattern.pattern.raw;`,
        `for (let i = 0; i < ${P}Pattern.rows; i++) {`,
        `  for (let q = ${P}Indptr[i]!; q < ${P}Indptr[i + 1]!; q++) ${P}Init[q] = ${P}Indices[q] === i ? ${lit(c.f.diagonal)} : ${lit(c.f.offDiagonal)};`,
        `}`,
        `const ${P} = ${P}Pattern.withValues(${P}Init, { dtype: ${d}, requiresGrad: true });`,
      ];
    },
  },
  'diffusion-parameter': {
    leafPort: 'kappa',
    setup(c) {
      c.use('diffusionPattern');
      return [`const ${c.out('A')}Assembly = diffusionPattern(${c.f.nx}, ${c.f.ny}, ${lit(c.f.scale)}, ${lit(c.dtype)}); // A's pattern and S, values = S κ`];
    },
    create: (c) => [`const ${c.out('kappa')} = full([${c.f.nx * c.f.ny}], ${lit(c.f.init)}, { dtype: ${lit(c.dtype)}, requiresGrad: true });`],
    code(c) {
      c.use('assembleDiffusion2d');
      return [`const ${c.out('A')} = assembleDiffusion2d(${c.out('A')}Assembly, ${c.out('kappa')}); // −∇·(κ∇)`];
    },
  },

  // Sparse ops
  spmv: { code: (c) => [`const ${c.out('y')} = spmv(${req(c, 'A')}, ${req(c, 'x')});`] },
  spdmm: { code: (c) => [`const ${c.out('Y')} = spdmm(${req(c, 'A')}, ${req(c, 'D')});`] },
  spgemm: { code: (c) => [`const ${c.out('C')} = spgemm(${req(c, 'A')}, ${req(c, 'B')});`] },
  spadd: { code: (c) => [`const ${c.out('C')} = spadd(${req(c, 'A')}, ${req(c, 'B')}, { alpha: ${c.in('alpha') ?? lit(c.f.alpha)}, beta: ${c.in('beta') ?? lit(c.f.beta)} });`] },
  sptrsv: { code: (c) => [`const ${c.out('x')} = sptrsv(${req(c, 'L')}, ${req(c, 'b')}, { lower: ${c.f.lower}, unitDiagonal: ${c.f.unitDiagonal} });`] },
  spsolve: { code: (c) => [`const ${c.out('x')} = spsolve(${req(c, 'A')}, ${req(c, 'b')});`] },

  // Solvers (kinds/sparse-solvers)
  logdet: { code: (c) => [`const ${c.out('value')} = logdet(${req(c, 'A')}${optionsCode(choleskyOptions(c.f as never))});`] },
  'cholesky-solve': { code: (c) => [`const ${c.out('x')} = spsolve(${req(c, 'A')}, ${req(c, 'b')}${optionsCode({ method: 'cholesky', ...choleskyOptions(c.f as never) })});`] },
  'cg-solve': krylovCode('cg'),
  'minres-solve': krylovCode('minres'),
  'gmres-solve': krylovCode('gmres'),
  'bicgstab-solve': krylovCode('bicgstab'),

  // Structure
  transpose: { code: (c) => [`const ${c.out('AT')} = transpose(${req(c, 'A')});`] },
  diagonal: { code: (c) => [`const ${c.out('d')} = diagonal(${req(c, 'A')}${c.f.k ? `, ${c.f.k}` : ''});`] },
  tril: { code: (c) => [`const ${c.out('T')} = tril(${req(c, 'A')}, ${c.f.k});`] },
  triu: { code: (c) => [`const ${c.out('T')} = triu(${req(c, 'A')}, ${c.f.k});`] },
  kron: { code: (c) => [`const ${c.out('K')} = kron(${req(c, 'A')}, ${req(c, 'B')});`] },
  identity: {
    code(c) {
      const like = c.in('like');
      const n = c.f.n > 0 ? String(c.f.n) : `${req(c, 'like')}.rows`;
      return [`const ${c.out('I')} = eye(${n}, { dtype: ${like ? `${like}.dtype` : lit(c.trainingDtype)} });`];
    },
  },
  'diag-matrix': {
    code: (c) => {
      const v = req(c, 'v');
      return [`const ${c.out('D')} = eye(${v}.shape[0]!, { dtype: ${v}.dtype }).withValues(${v}); // diag(v) on the identity's pattern`];
    },
  },
  'to-dense': { code: (c) => [`const ${c.out('D')} = ${req(c, 'A')}.toDense();`] },
  'from-dense': { code: (c) => [`const ${c.out('A')} = noGrad(() => CsrMatrix.fromDense(${req(c, 'D')}));`] },
  'sparse-values': { code: (c) => [`const ${c.out('values')} = ${req(c, 'A')}.values;`] },
  'with-values': { code: (c) => [`const ${c.out('B')} = ${req(c, 'A')}.withValues(${req(c, 'values')});`] },
  'sparse-cast': { code: (c) => [`const ${c.out('B')} = astype(${req(c, 'A')}, ${lit(c.f.dtype)});`] },
  'normalize-adjacency': {
    code(c) {
      const A = req(c, 'A');
      const o = c.out('Ahat');
      // kinds/sparse-ops normalize-adjacency: in float64, rounded to A's dtype.
      return [
        `// ${o} = D̃^-½ Ã D̃^-½, Ã = ${c.f.selfLoops ? `${A} + I` : A}, D̃ its row sums (computed in float64)`,
        `const ${o}Tilde = ${c.f.selfLoops ? `spadd(astype(${A}.detach(), 'float64'), eye(${A}.rows))` : `astype(${A}.detach(), 'float64')`};`,
        `const ${o}Degree = spmv(${o}Tilde, ones([${A}.rows])).data;`,
        `const ${o}Scale = diags([Float64Array.from(${o}Degree, (x) => (x > 0 ? 1 / Math.sqrt(x) : 0))], [0], [${A}.rows, ${A}.rows]);`,
        `const ${o} = astype(spgemm(spgemm(${o}Scale, ${o}Tilde), ${o}Scale), ${A}.dtype);`,
      ];
    },
  },
  'row-normalize': {
    code(c) {
      const A = req(c, 'A');
      const o = c.out('B');
      return [
        `// each row of ${A} divided by its sum (empty rows stay empty), in float64`,
        `const ${o}Sums = spmv(astype(${A}.detach(), 'float64'), ones([${A}.cols])).data;`,
        `const ${o}Scale = diags([Float64Array.from(${o}Sums, (s) => (s !== 0 ? 1 / s : 0))], [0], [${A}.rows, ${A}.rows]);`,
        `const ${o} = astype(spgemm(${o}Scale, astype(${A}.detach(), 'float64')), ${A}.dtype);`,
      ];
    },
  },
  diffusion2d: {
    setup(c) {
      c.use('diffusionPattern');
      return [`const ${c.out('A')}Assembly = diffusionPattern(${c.f.nx}, ${c.f.ny}, ${lit(c.f.scale)}, ${lit(c.inDtype('kappa'))}); // A's pattern and S, values = S κ`];
    },
    code(c) {
      c.use('assembleDiffusion2d');
      return [`const ${c.out('A')} = assembleDiffusion2d(${c.out('A')}Assembly, ${req(c, 'kappa')}); // −∇·(κ∇)`];
    },
  },

  // Dense ops
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  scale: { code: (c) => [`const ${c.out('y')} = mul(${req(c, 'x')}, ${lit(c.f.factor)});`] },
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  sin: unary('sin'),
  cos: unary('cos'),
  tanh: unary('tanh'),
  relu: unary('relu'),
  sigmoid: unary('sigmoid'),
  sum: { code: (c) => [`const ${c.out('y')} = sum(${req(c, 'x')}${c.f.axis !== undefined ? `, ${c.f.axis}${c.f.keepdims ? ', true' : ''}` : c.f.keepdims ? ', undefined, true' : ''});`] },
  mean: { code: (c) => [`const ${c.out('y')} = mean(${req(c, 'x')}${c.f.axis !== undefined ? `, ${c.f.axis}${c.f.keepdims ? ', true' : ''}` : c.f.keepdims ? ', undefined, true' : ''});`] },
  dot: binary('dot'),
  norm: unary('norm'),
  matmul: { code: (c) => [`const ${c.out('C')} = matmul(${req(c, 'A')}, ${req(c, 'B')});`] },
  softmax: unary('softmax'),
  'log-softmax': unary('logSoftmax'),
  dropout: {
    code: (c) =>
      c.f.p > 0
        ? [`const ${c.out('y')} = training ? dropout(${req(c, 'x')}, ${lit(c.f.p)}, { generator: stream(${c.stream}) }) : ${req(c, 'x')};`]
        : [`const ${c.out('y')} = ${req(c, 'x')}; // dropout with p = 0`],
  },
  'sparse-dropout': {
    code: (c) => {
      const A = req(c, 'A');
      return c.f.p > 0
        ? [`const ${c.out('B')} = training ? ${A}.withValues(dropout(${A}.values, ${lit(c.f.p)}, { generator: stream(${c.stream}) })) : ${A};`]
        : [`const ${c.out('B')} = ${A}; // dropout with p = 0`];
    },
  },
  gather: { code: (c) => [`const ${c.out('y')} = gatherRows(${req(c, 'x')}, ${req(c, 'rows')});`] },
  concat: { code: (c) => [`const ${c.out('y')} = concat([${['a', 'b', 'c', 'd'].map((p) => c.in(p)).filter(Boolean).join(', ')}], ${c.f.axis});`] },
  reshape: {
    code(c) {
      const x = req(c, 'x');
      const known = (c.f.shape as number[]).filter((d) => d >= 0).reduce((a, d) => a * d, 1);
      const shape = (c.f.shape as number[]).map((d) => (d < 0 ? `${x}.size / ${Math.max(known, 1)}` : String(d)));
      return [`const ${c.out('y')} = reshape(${x}, [${shape.join(', ')}]);`];
    },
  },
  'dense-transpose': unary('denseTranspose'),
  clamp: { code: (c) => [`const ${c.out('y')} = clamp(${req(c, 'x')}, ${c.f.min ?? 'null'}, ${c.f.max ?? 'null'});`] },
  where: { code: (c) => [`const ${c.out('y')} = where(${req(c, 'cond')}, ${req(c, 'a')}, ${req(c, 'b')});`] },
  'dense-solve': { code: (c) => [`const ${c.out('x')} = denseSolve(${req(c, 'A')}, ${req(c, 'b')});`] },
  'dense-triangular-solve': {
    code: (c) => [`const ${c.out('x')} = denseTriangularSolve(${req(c, 'L')}, ${req(c, 'b')}, { lower: ${c.f.lower}, unitDiagonal: ${c.f.unitDiagonal} });`],
  },
  cast: { code: (c) => [`const ${c.out('y')} = cast(${req(c, 'x')}, ${lit(c.f.dtype)});`] },

  // Iteration blocks
  jacobi: {
    code(c) {
      const A = req(c, 'A');
      const y = c.out('y');
      const b = c.in('b');
      const lines = [
        `// ${c.f.sweeps} weighted-Jacobi sweep${c.f.sweeps === 1 ? '' : 's'}  x⁺ = Ω D⁻¹ b + (I − Ω D⁻¹ A) x  (eq. 20)`,
        `const ${y}I = eye(${A}.rows, { dtype: ${A}.dtype });`,
        `const ${y}S = ${y}I.withValues(div(${req(c, 'omega')}, diagonal(${A}))); // Ω D⁻¹`,
        `const ${y}E = spadd(${y}I, spgemm(${y}S, ${A}), { alpha: 1, beta: -1 }); // I − Ω D⁻¹ A`,
      ];
      if (b) {
        c.use('rhsLike');
        lines.push(`const ${y}SB = ${applySparse(c, `${y}S`, `rhsLike(${b}, ${req(c, 'x')})`)}; // Ω D⁻¹ b`);
      }
      lines.push(`let ${y} = ${req(c, 'x')};`, `for (let sweep = 0; sweep < ${c.f.sweeps}; sweep++) {`, `  ${y} = ${applySparse(c, `${y}E`, y)};`);
      if (b) lines.push(`  ${y} = add(${y}, ${y}SB);`);
      lines.push('}');
      return lines;
    },
  },
  heavyball: {
    code(c) {
      const A = req(c, 'A');
      const y = c.out('y');
      const b0 = c.in('b');
      if (b0) c.use('rhsLike');
      const b = b0 ? `${y}B` : undefined;
      return [
        ...(b0 ? [`const ${y}B = rhsLike(${b0}, ${req(c, 'x')}); // one b for every column`] : []),
        `// ${c.f.iterations} heavyball step${c.f.iterations === 1 ? '' : 's'}  x⁺ = x − α (A x − b) + β (x − x⁻)  (eqs. 22, 24)`,
        `let ${y}Previous = ${req(c, 'x')};`,
        `let ${y} = ${req(c, 'x')};`,
        `for (let it = 0; it < ${c.f.iterations}; it++) {`,
        `  const gradient = ${b ? `sub(${applySparse(c, A, y)}, ${b})` : applySparse(c, A, y)}; // ∇f = A x − b`,
        `  const next = add(sub(${y}, mul(${req(c, 'alpha')}, gradient)), mul(${req(c, 'beta')}, sub(${y}, ${y}Previous)));`,
        `  ${y}Previous = ${y};`,
        `  ${y} = next;`,
        `}`,
      ];
    },
  },
  cg: {
    code(c) {
      c.use('pcgResiduals', 'stack');
      const r = c.out('residuals');
      const M = c.in('M');
      const withX = c.used('x');
      return [
        `// ${c.f.iterations} (P)CG iterations from x₀ = 0${M ? `, preconditioned by z = ${M} r` : ''}`,
        `const ${r}Run = pcgResiduals(${req(c, 'A')}, ${req(c, 'b')}, ${M ? `(r) => spmv(${M}, r)` : 'null'}, ${c.f.iterations}, undefined, ${withX});`,
        `const ${r} = stack(${r}Run.residuals);`,
        ...(withX ? [`const ${c.out('x')} = ${r}Run.x!;`] : []),
      ];
    },
  },

  // Losses
  'energy-loss': {
    code(c) {
      const Y = req(c, 'x');
      const l = c.out('loss');
      const total = `sum(mul(${Y}, ${applySparse(c, req(c, 'A'), Y)}))`; // Σ_k y_kᵀ A y_k
      const reduced = c.f.reduction === 'mean' ? `div(${total}, ${Y}.ndim === 2 ? ${Y}.shape[1]! : 1)` : total;
      return [`const ${l} = ${weighted(reduced, c.f.weight)}; // Σ_k x_kᵀ A x_k`];
    },
  },
  'residual-loss': {
    code(c) {
      const Y = req(c, 'x');
      const l = c.out('loss');
      const b = c.in('b');
      const AY = applySparse(c, req(c, 'A'), Y);
      let total = `sum(mul(${l}R, ${l}R))`;
      if (c.f.form === 'norm') total = `sqrt(${total})`;
      const reduced = c.f.reduction === 'mean' ? `div(${total}, ${Y}.ndim === 2 ? ${Y}.shape[1]! : 1)` : total;
      if (b) c.use('rhsLike');
      return [`const ${l}R = ${b ? `sub(rhsLike(${b}, ${Y}), ${AY})` : `neg(${AY})`}; // b − A x`, `const ${l} = ${weighted(reduced, c.f.weight)};`];
    },
  },
  'weighted-residual-loss': {
    code(c) {
      c.use('residualWeights');
      const r = req(c, 'residuals');
      const l = c.out('loss');
      return [
        `// eq. (28): Σ_i γ^(N−i) / Σ_j γ^(N−j) · r_i, summed term by term`,
        `const ${l}Weights = residualWeights(${lit(c.f.gamma)}, ${r}.shape[0]!);`,
        `let ${l}Sum = mul(reshape(gatherRows(${r}, [0]), []), ${l}Weights[0]!);`,
        `for (let k = 1; k < ${l}Weights.length; k++) ${l}Sum = add(${l}Sum, mul(reshape(gatherRows(${r}, [k]), []), ${l}Weights[k]!));`,
        `const ${l} = ${weighted(`${l}Sum`, c.f.weight)};`,
      ];
    },
  },
  'mse-loss': {
    code(c) {
      const l = c.out('loss');
      return [
        `const ${l}Diff = sub(${req(c, 'x')}, ${req(c, 'target')});`,
        `const ${l} = ${weighted(`${c.f.reduction === 'mean' ? 'mean' : 'sum'}(mul(${l}Diff, ${l}Diff))`, c.f.weight)};`,
      ];
    },
  },
  'cross-entropy-loss': {
    code: (c) => [`const ${c.out('loss')} = ${weighted(`crossEntropy(${req(c, 'logits')}, ${req(c, 'labels')}${c.in('rows') ? `, ${c.in('rows')}` : ''})`, c.f.weight)};`],
  },
  'nll-loss': {
    code: (c) => [`const ${c.out('loss')} = ${weighted(`nllLoss(${req(c, 'logp')}, ${req(c, 'labels')}${c.in('rows') ? `, ${c.in('rows')}` : ''})`, c.f.weight)};`],
  },
  'sum-loss': { code: (c) => [`const ${c.out('loss')} = ${weighted(`sum(${req(c, 'x')})`, c.f.weight)};`] },

  // The kinds of the templates beyond the paper (ext/kinds.ts)
  'grid-field': {
    code(c) {
      c.use('gridField');
      return [`const ${c.out('field')} = gridField(${lit(c.f.shape)}, ${c.f.nx}, ${c.f.ny}, ${lit(c.dtype)});`];
    },
  },
  'grid-sources': {
    code(c) {
      c.use('gaussianSources');
      return [`const ${c.out('F')} = gaussianSources(${c.f.nx}, ${c.f.ny}, ${c.f.count}, ${lit(c.f.width)}, ${lit(c.f.amplitude)}, ${lit(c.dtype)});`];
    },
  },
  'grid-gradient': {
    code(c) {
      c.use('gridGradient');
      return [`const ${c.out('G')} = gridGradient(${c.f.nx}, ${c.f.ny}, ${lit(c.dtype)});`];
    },
  },
  'add-noise': {
    code(c) {
      c.use('addNoise');
      return [`const ${c.out('y')} = addNoise(${req(c, 'x')}, ${lit(c.f.level)}, ${lit(c.f.scale)}, stream(${c.stream}));`];
    },
  },
  'matrix-graph': {
    code(c) {
      c.use('matrixAdjacency', 'voronoiLabels', 'clusteredFeatures', 'randomSplit');
      const g = `stream(${c.stream})`;
      const labels = c.out('labels');
      const adjacency = c.out('adjacency');
      return [
        `const ${adjacency} = matrixAdjacency(${req(c, 'A')}, ${lit(c.dtype)});`,
        `const ${labels} = voronoiLabels(${adjacency}, ${c.f.classes}, ${g});`,
        `const ${c.out('features')} = clusteredFeatures(${labels}, ${c.f.classes}, ${c.f.features}, ${lit(c.f.sigma)}, ${g}, ${lit(c.dtype)});`,
        `const { train: ${c.out('train')}, test: ${c.out('test')} } = randomSplit(${labels}.length, ${lit(c.f.trainFraction)}, ${g});`,
      ];
    },
  },
  smoother: {
    code(c) {
      c.use('smooth');
      return [`const ${c.out('x')} = smooth(${req(c, 'A')}, ${req(c, 'M')}, ${req(c, 'b')}, ${c.f.sweeps}); // x⁺ = x + M (b − A x), from 0`];
    },
  },
  'block-cg': {
    code(c) {
      c.use('conjugateGradient');
      return [`const { x: ${c.out('x')}, residuals: ${c.out('residuals')} } = conjugateGradient(${req(c, 'A')}, ${req(c, 'b')}, ${opt(c, 'x0')}, ${c.f.iterations});`];
    },
  },
};

/**
 * Output nodes the script reports after training (a number each, as in the
 * lab's summary); the others (charts, heatmaps, histories) are left out: they do
 * not change the loss.
 */
const OUTPUTS: Record<string, (c: EmitContext) => { lines: string[]; value: string }> = {
  'relative-error': (c) => ({ lines: [`const ${c.name} = div(norm(sub(${req(c, 'x')}, ${req(c, 'truth')})), norm(${req(c, 'truth')})); // ‖x − t‖/‖t‖`], value: `${c.name}.item()` }),
  'relative-residual': (c) => {
    const r = c.in('residuals');
    const line = r
      ? `const ${c.name} = reshape(gatherRows(${r}, [${r}.shape[0]! - 1]), []); // the last of the history`
      : `const ${c.name} = div(norm(sub(${req(c, 'b')}, spmv(${req(c, 'A')}, ${req(c, 'x')}))), norm(${req(c, 'b')})); // ‖b − A x‖/‖b‖`;
    return { lines: [line], value: `${c.name}.item()` };
  },
  accuracy: (c) => {
    c.use('accuracy');
    const rows = c.in('rows');
    return { lines: [`const ${c.name} = accuracy(${req(c, 'logits')}, ${req(c, 'labels')}${rows ? `, ${rows}` : ''});`], value: c.name };
  },
  metric: (c) =>
    c.f.reduce === 'norm' ? { lines: [`const ${c.name} = norm(${req(c, 'x')});`], value: `${c.name}.item()` } : { lines: [`const ${c.name} = ${req(c, 'x')};`], value: `${c.name}.item()` },
};

const reported = (kind: string, f: Record<string, any>): boolean => kind in OUTPUTS && (kind !== 'metric' || f.reduce === 'value' || f.reduce === 'norm');

/** Whether exportTypeScript can write this kind (outputs it does not report are left out of scripts: they do not change the loss). */
export function exportable(kind: string): boolean {
  return kind in KINDS || kindDef(kind)?.category === 'outputs';
}

// ---------------------------------------------------------------------------
// The script

const KEYWORDS = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async of undefined NaN Infinity arguments eval'.split(
    ' ',
  ),
);
/** Names the script itself uses. */
const SCRIPT_NAMES = ['seed', 'epochs', 'runs', 'run', 'epoch', 'trainRun', 'forward', 'training', 'stream', 'streams', 'runSeed', 'optimizer', 'optimizers', 'finalLosses', 'mixSeed', 'objective', 'every', 'value', 'Math', 'console', 'process', 'Number', 'Array', 'Float64Array', 'Int32Array', 'Map', 'Set', 'Object', 'JSON', 'String', 'i', 'k', 'q', 'r', 'it', 'sweep', 'gradient', 'next'];

/** Engine exports that are types only (imported with `import type`). */
const ENGINE_TYPES = ['DType', 'Device', 'TensorOptions', 'NestedArray', 'RandomOptions', 'CsrOptions', 'Axis', 'Operand', 'FloatArray', 'DiagonalValues'];

/** A graph (already valid: run validateGraph first) as a TypeScript script against sparse-ad-lab/engine. */
export function exportTypeScript(input: Graph, opts: ExportOptions = {}): string {
  const graph = GraphSchema.parse(input);
  const dataDir = opts.dataDir ?? defaultDataDir();
  const { training } = graph;
  const defs = new Map<string, KindDef>();
  const fields = new Map<string, Record<string, any>>();
  for (const node of graph.nodes) {
    const def = kindDef(node.kind);
    if (!def) throw new GraphError([{ nodeId: node.id, field: 'kind', message: `unknown node kind "${node.kind}"` }]);
    if (!exportable(node.kind)) throw new GraphError([{ nodeId: node.id, message: `${node.kind} "${node.id}": export as TypeScript does not support this node kind yet` }]);
    defs.set(node.id, def);
    const f = def.fields.parse(node.fields) as Record<string, any>;
    // File paths become absolute, so the script runs from anywhere in the checkout.
    if (node.kind === 'matrix-file' || (node.kind === 'graph-dataset' && f.format === 'folder' && f.path)) {
      const found = resolveDataPath(f.path, dataDir, opts.specDir).path;
      if (!found) throw new GraphError([{ nodeId: node.id, field: 'path', message: `${node.kind} "${node.id}": not found: ${f.path}` }]);
      f.path = found;
    }
    fields.set(node.id, f);
  }

  // Wiring and order, as validate.ts derives them (Kahn, edges in file order).
  const wiring = new Map<string, Map<string, { node: string; port: string }>>();
  const readers = new Map<string, string[]>();
  const indeg = new Map(graph.nodes.map((n) => [n.id, 0]));
  const usedPorts = new Map<string, Set<string>>();
  for (const e of graph.edges) {
    if (!wiring.has(e.to.node)) wiring.set(e.to.node, new Map());
    wiring.get(e.to.node)!.set(e.to.port, { node: e.from.node, port: e.from.port });
    indeg.set(e.to.node, (indeg.get(e.to.node) ?? 0) + 1);
    if (!readers.has(e.from.node)) readers.set(e.from.node, []);
    readers.get(e.from.node)!.push(e.to.node);
    if (!usedPorts.has(e.from.node)) usedPorts.set(e.from.node, new Set());
    usedPorts.get(e.from.node)!.add(e.from.port);
  }
  const order: string[] = [];
  const ready = graph.nodes.map((n) => n.id).filter((id) => indeg.get(id) === 0);
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const r of readers.get(id) ?? []) {
      indeg.set(r, indeg.get(r)! - 1);
      if (indeg.get(r) === 0) ready.push(r);
    }
  }
  if (order.length < graph.nodes.length) throw new GraphError([{ message: 'the graph has a cycle; validate it first' }]);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));

  // When each node is computed (compile.ts): 0 once, 1 per run, 2 in every pass.
  const level = new Map<string, number>();
  const resampled = new Set<string>();
  const isParameter = (id: string): boolean => defs.get(id)!.variability?.(fields.get(id) as never) === 'parameter';
  for (const id of order) {
    const v = defs.get(id)!.variability?.(fields.get(id) as never);
    let l = v === 'constant' || v === undefined ? 0 : v === 'random' ? 1 : 2;
    for (const w of wiring.get(id)?.values() ?? []) l = Math.max(l, level.get(w.node)!);
    level.set(id, l);
    if (v === 'resampled') resampled.add(id);
  }

  // Variable names: the node ids (a port suffix where a node has several outputs).
  // Not the names the script imports or copies in either (every top-level name of the helpers' files).
  const helperNames = [...new Set(Object.values(HELPER_FILES))].flatMap((file) => declarations(file).map((d) => d.name));
  const taken = new Set<string>([...KEYWORDS, ...SCRIPT_NAMES, ...Object.keys(engine), ...ENGINE_TYPES, ...Object.keys(NODE_BUILTINS), ...helperNames]);
  const baseName = new Map<string, string>();
  for (const n of graph.nodes) {
    let name = n.id.replace(/[^\w$]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ''));
    if (!/^[A-Za-z_$]/.test(name)) name = `n${name}`;
    while (taken.has(name)) name += 'Node';
    taken.add(name);
    baseName.set(n.id, name);
  }
  const portNames = new Map<string, string>();
  for (const n of graph.nodes) {
    const def = defs.get(n.id)!;
    for (const p of def.outputs) {
      if (def.outputs.length === 1 || p.name === KINDS[n.kind]?.leafPort) continue;
      let name = baseName.get(n.id)! + p.name.charAt(0).toUpperCase() + p.name.slice(1);
      while (taken.has(name)) name += 'Out';
      taken.add(name);
      portNames.set(`${n.id}\u0000${p.name}`, name);
    }
  }
  const outVar = (id: string, port: string): string => portNames.get(`${id}\u0000${port}`) ?? baseName.get(id)!;
  const helpers = new Set<string>();
  const emit = (id: string, what: 'setup' | 'code' | 'create'): string[] => {
    const node = byId.get(id)!;
    const f = fields.get(id)!;
    const code = KINDS[node.kind]!;
    const dtype = typeof f.dtype === 'string' && f.dtype !== 'auto' ? f.dtype : training.dtype;
    const ctx: EmitContext = {
      node,
      name: baseName.get(id)!,
      f,
      in: (port) => {
        const w = wiring.get(id)?.get(port);
        return w ? outVar(w.node, w.port) : undefined;
      },
      out: (port) => outVar(id, port),
      used: (port) => usedPorts.get(id)?.has(port) ?? false,
      inDtype: (port) => {
        const w = wiring.get(id)?.get(port);
        return w ? dtypeOf(w.node) : training.dtype;
      },
      dtype,
      stream: streamOf(node),
      use: (...names) => names.forEach((n) => helpers.add(n)),
      trainingDtype: training.dtype,
    };
    try {
      return what === 'create' ? code.create!(ctx) : what === 'setup' ? code.setup!(ctx) : code.code(ctx);
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).replace(/^exportTypeScript: /, '');
      throw new GraphError([{ nodeId: id, message: `export as TypeScript: ${message}` }]);
    }
  };
  const emitOutput = (id: string): { lines: string[]; value: string } => {
    const node = byId.get(id)!;
    return OUTPUTS[node.kind]!({
      node,
      name: baseName.get(id)!,
      f: fields.get(id)!,
      in: (port) => {
        const w = wiring.get(id)?.get(port);
        return w ? outVar(w.node, w.port) : undefined;
      },
      out: () => baseName.get(id)!,
      used: () => false,
      inDtype: () => training.dtype,
      dtype: training.dtype,
      stream: 0,
      use: (...names) => names.forEach((n) => helpers.add(n)),
      trainingDtype: training.dtype,
    });
  };
  const isOutput = (id: string): boolean => defs.get(id)!.category === 'outputs';
  // A node's element type: its dtype field (cast nodes: the target), else that of its first input.
  const dtypeMemo = new Map<string, string>();
  function dtypeOf(id: string): string {
    const hit = dtypeMemo.get(id);
    if (hit) return hit;
    const f = fields.get(id)!;
    let d: string = training.dtype;
    if (typeof f.dtype === 'string' && f.dtype !== 'auto') d = f.dtype;
    else if (f.dtype === undefined) {
      const first = wiring.get(id)?.values().next().value;
      if (first) d = dtypeOf(first.node);
    }
    dtypeMemo.set(id, d);
    return d;
  }

  // Constants, then per-run draws and parameters, in graph order.
  const constants: string[] = [];
  for (const id of order) if (!isOutput(id) && KINDS[byId.get(id)!.kind]!.setup) constants.push(...emit(id, 'setup'));
  const perRun: string[] = [];
  const redraw: string[] = [];
  const params: string[] = [];
  // Per-run draws and parameters: depth first from each node in graph order, as RunState.start.
  const started = new Set<string>();
  const startNode = (id: string): void => {
    if (started.has(id) || level.get(id)! === 0) return;
    if (!(level.get(id) === 1 || resampled.has(id) || isParameter(id))) return;
    started.add(id);
    for (const w of wiring.get(id)?.values() ?? []) startNode(w.node);
    if (isOutput(id)) return;
    if (isParameter(id)) {
      perRun.push(...emit(id, 'create'));
      params.push(id);
    } else if (resampled.has(id)) {
      // A fresh draw every epoch after the first: the draw as a function.
      const lines = emit(id, 'code');
      const outs = defs.get(id)!.outputs.map((p) => outVar(id, p.name));
      const draw = `draw${baseName.get(id)!.charAt(0).toUpperCase()}${baseName.get(id)!.slice(1)}`;
      perRun.push(`const ${draw} = () => {`, ...lines.map((s) => `  ${s}`), `  return ${outs.length === 1 ? outs[0] : `{ ${outs.join(', ')} }`};`, `};`);
      perRun.push(outs.length === 1 ? `let ${outs[0]} = ${draw}();` : `let { ${outs.join(', ')} } = ${draw}();`);
      redraw.push(outs.length === 1 ? `${outs[0]} = ${draw}();` : `({ ${outs.join(', ')} } = ${draw}());`);
    } else perRun.push(...emit(id, 'code'));
  };
  for (const id of order) if (!isOutput(id) && level.get(id) === 0) constants.push(...emit(id, 'code'));
  for (const n of graph.nodes) startNode(n.id);

  // The forward pass: depth first from the objective losses, as the runner's Pass evaluates.
  const objective = graph.nodes.filter((n) => defs.get(n.id)!.category === 'losses' && defs.get(n.id)!.lossRole?.(fields.get(n.id) as never) !== 'monitor').map((n) => n.id);
  if (!objective.length) throw new GraphError([{ message: 'the graph has no loss node: add one (losses) so there is something to minimise' }]);
  const forward: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    if (level.get(id)! < 2 || resampled.has(id)) return;
    for (const w of wiring.get(id)?.values() ?? []) visit(w.node);
    forward.push(...emit(id, 'code'));
  };
  for (const id of objective) visit(id);
  // After training (run 0): the numbers the lab's output nodes report, from one more pass without dropout.
  const report: string[] = [];
  const reportedIds = graph.nodes.filter((n) => reported(n.kind, fields.get(n.id)!)).map((n) => n.id);
  if (reportedIds.length) {
    const before = new Set(seen);
    seen.clear();
    const pass: string[] = [];
    const visitReport = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      if (level.get(id)! < 2 || resampled.has(id)) return;
      for (const w of wiring.get(id)?.values() ?? []) visitReport(w.node);
      if (!isOutput(id)) pass.push(...emit(id, 'code'));
    };
    const prints: string[] = [];
    for (const id of reportedIds) {
      for (const w of wiring.get(id)?.values() ?? []) visitReport(w.node);
      const o = emitOutput(id);
      pass.push(...o.lines);
      prints.push(`console.log(\`${id} \${${o.value}}\`);`);
    }
    report.push(
      '',
      "// What the lab reports after training (its output nodes), from one more pass without dropout.",
      'if (run === 0) {',
      '  noGrad(() => {',
      ...(pass.some((l) => /\btraining\b/.test(l)) ? ['    const training = false;'] : []),
      ...pass.map((l) => `    ${l}`),
      ...prints.map((l) => `    ${l}`),
      '  });',
      '}',
    );
    for (const id of before) seen.add(id);
  }
  const lossVars = objective.map((id) => outVar(id, 'loss'));
  const total = lossVars.slice(1).reduce((acc, v) => `add(${acc}, ${v})`, lossVars[0]!);

  // Optimizers: one per weight decay, as makeOptimizer groups them.
  const o = training.optimizer;
  const groups = new Map<number, string[]>();
  for (const id of params) {
    const wd = typeof o.weightDecay === 'number' ? o.weightDecay : (o.weightDecay[id] ?? 0);
    if (!groups.has(wd)) groups.set(wd, []);
    groups.get(wd)!.push(outVar(id, KINDS[byId.get(id)!.kind]!.leafPort ?? 'value'));
  }
  const settings = (wd: number): string =>
    o.kind === 'sgd' ? `{ lr: ${lit(o.lr)}, momentum: ${lit(o.momentum)}, weightDecay: ${lit(wd)} }` : `{ lr: ${lit(o.lr)}, betas: [${o.betas.map(lit).join(', ')}], eps: ${lit(o.eps)}, weightDecay: ${lit(wd)} }`;
  const optimizerClass = o.kind === 'sgd' ? 'SGD' : o.kind === 'adam' ? 'Adam' : 'AdamW';
  const optimizerLines =
    groups.size === 0
      ? []
      : groups.size === 1
        ? [`const optimizer = new ${optimizerClass}([${[...groups.values()][0]!.join(', ')}], ${settings([...groups.keys()][0]!)});`]
        : [
            '// One optimizer per weight decay (what parameter groups do).',
            `const optimizers = [`,
            ...[...groups].map(([wd, ps]) => `  new ${optimizerClass}([${ps.join(', ')}], ${settings(wd)}),`),
            `];`,
          ];
  const zeroGrad = groups.size > 1 ? 'for (const o of optimizers) o.zeroGrad();' : 'optimizer.zeroGrad();';
  const step = groups.size > 1 ? 'for (const o of optimizers) o.step();' : 'optimizer.step();';
  const every = Math.max(1, Math.round(training.epochs / 10));
  const usesStreams = /\bstream\(/.test([...perRun, ...forward].join('\n'));

  const indent = (lines: string[], n: number): string[] => lines.map((l) => (l ? ' '.repeat(n) + l : l));
  const body: string[] = [
    ...(training.device === 'cuda' ? ["// The lab ran this graph on 'cuda'; this script runs it on the CPU (move tensors with .to('cuda') to run it there).", ''] : []),
    `const seed = ${training.seed};`,
    `const epochs = ${training.epochs};`,
    `const runs = ${training.runs};`,
    '',
    '// Constants: computed once.',
    ...constants,
    '',
    '/** One training run; returns the loss after the last step. */',
    'function trainRun(run: number): number {',
    ...indent(
      [
        ...(usesStreams
          ? [
              '// Random stream s of this run: Generator(mixSeed(mixSeed(seed, run), s)), one sequence per stream.',
              'const runSeed = mixSeed(seed, run);',
              'const streams = new Map<number, Generator>();',
              'const stream = (s: number): Generator => {',
              '  if (!streams.has(s)) streams.set(s, new Generator(mixSeed(runSeed, s)));',
              '  return streams.get(s)!;',
              '};',
            ]
          : []),
        ...(perRun.length ? ['', '// Per-run draws and learnable parameters.', ...perRun] : []),
        ...optimizerLines,
        '',
        `const forward = (${forward.some((l) => /\btraining\b/.test(l)) ? 'training' : '_training'}: boolean): Tensor => {`,
        ...indent(forward, 2),
        `  return ${total};`,
        '};',
        '',
        'for (let epoch = 0; epoch < epochs; epoch++) {',
        ...indent(
          [
            ...(redraw.length ? ['if (epoch > 0) {', ...indent(redraw, 2), '}'] : []),
            ...(groups.size ? [zeroGrad] : []),
            'const objective = forward(true);',
            `if (run === 0 && (epoch % ${every} === 0 || epoch === epochs - 1)) console.log(\`epoch \${epoch} loss \${objective.item()}\`);`,
            ...(groups.size ? ['objective.backward();', step] : []),
          ],
          2,
        ),
        '}',
        'const finalLoss = noGrad(() => forward(false)).item();',
        ...report,
        'return finalLoss;',
      ],
      2,
    ),
    '}',
    '',
    'const finalLosses: number[] = [];',
    'for (let run = 0; run < runs; run++) finalLosses.push(trainRun(run));',
    "if (runs > 1) console.log(`final loss of each run: ${finalLosses.join(', ')}`);",
    'console.log(`final loss ${finalLosses[0]}`);',
  ];

  const helperText = helpers.size ? helperSource(helpers) : '';
  const mixSeedText = usesStreams ? helperMixSeed() : '';
  const code = [mixSeedText, helperText, body.join('\n')].join('\n');
  const engineNames = new Set(Object.keys(engine));
  const used = identifiers(code);
  const values = [...engineNames].filter((n) => used.has(n)).sort();
  const types = ENGINE_TYPES.filter((n) => used.has(n) && !engineNames.has(n));
  const builtins = new Map<string, string[]>();
  for (const [name, mod] of Object.entries(NODE_BUILTINS)) {
    // (Object.entries: own names only, never 'constructor')
    if (!identifiers(helperText).has(name)) continue;
    if (!builtins.has(mod)) builtins.set(mod, []);
    builtins.get(mod)!.push(name);
  }
  const title = graph.description ? `${graph.name}: ${graph.description}` : graph.name;
  const header = [
    `// ${title}`,
    ...(graph.notes ?? []).map((n) => `//   - ${n}`),
    '//',
    '// Exported from Sparse AD Lab as plain engine calls. Inside the checkout (after',
    '// `npm run build:ts`, which builds sparse-ad-lab/engine), run it with',
    '//   npx tsx <this file>',
    '// It trains the graph as the lab does and prints `final loss <number>`.',
  ];
  return [
    ...header,
    ...[...builtins].map(([mod, names]) => `import { ${names.join(', ')} } from '${mod}';`),
    `import { ${values.join(', ')} } from 'sparse-ad-lab/engine';`,
    ...(types.length ? [`import type { ${types.join(', ')} } from 'sparse-ad-lab/engine';`] : []),
    '',
    ...(mixSeedText ? [mixSeedText, ''] : []),
    ...(helperText ? ['// Helpers, as the lab defines them.', '', helperText, ''] : []),
    ...body,
    '',
  ].join('\n');
}

/** The runner's seed mixing (seeds.ts mixSeed), so the script draws the same numbers. */
function helperMixSeed(): string {
  const d = declarations('seeds').find((x) => x.name === 'mixSeed');
  if (!d) throw new Error('exportTypeScript: mixSeed is not in compile.ts');
  return d.text;
}
