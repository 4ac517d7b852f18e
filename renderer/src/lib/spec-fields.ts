// The problem builder's blocks (matrix → method → learnable parameters → loss →
// optimizer) and the editable fields of each, derived from the spec being
// edited (experiments/spec/types.ts describes it; the host validates it).

export type FieldType = 'int' | 'number' | 'select' | 'bool' | 'text';

export interface Field {
  /** Dotted path in the spec, e.g. "optimizer.lr" or "optimizer.betas.0". */
  path: string;
  label: string;
  type: FieldType;
  options?: readonly string[];
  hint?: string;
}

export interface Block {
  id: 'matrix' | 'method' | 'parameters' | 'loss' | 'optimizer';
  title: string;
  /** One line saying what the block holds now. */
  summary: string;
  fields: Field[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getPath(spec: unknown, path: string): unknown {
  let cur: unknown = spec;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObj(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** A copy of `spec` with `path` set (objects and arrays along the path are copied, not mutated). */
export function setPath<T>(spec: T, path: string, value: unknown): T {
  const parts = path.split('.');
  const write = (node: unknown, i: number): unknown => {
    const key = parts[i]!;
    if (Array.isArray(node)) {
      const copy = node.slice();
      copy[Number(key)] = i === parts.length - 1 ? value : write(copy[Number(key)], i + 1);
      return copy;
    }
    const copy: Obj = isObj(node) ? { ...node } : {};
    copy[key] = i === parts.length - 1 ? value : write(copy[key], i + 1);
    return copy;
  };
  return write(spec, 0) as T;
}

const RHS = ['zero', 'ones', 'random', 'linear'] as const;
const DIST = ['normal', 'uniform'] as const;
const PATTERNS = ['diagonal', 'lower bidiagonal', 'upper bidiagonal', 'tridiagonal', 'lower triangle of A'] as const;

function matrixBlock(spec: Obj): Block {
  const m = isObj(spec.matrix) ? spec.matrix : {};
  const fields: Field[] = [];
  let summary = 'no matrix';
  if (m.kind === 'generator') {
    fields.push({ path: 'matrix.name', label: 'Generator', type: 'select', options: ['poisson1d', 'poisson2d'] });
    if (m.name === 'poisson2d') {
      fields.push({ path: 'matrix.nx', label: 'Grid nx', type: 'int' }, { path: 'matrix.ny', label: 'Grid ny', type: 'int' });
      summary = `2-D Poisson ${String(m.nx)}×${String(m.ny)}`;
    } else {
      fields.push({ path: 'matrix.n', label: 'Size n', type: 'int' });
      summary = `1-D Poisson n = ${String(m.n)}`;
    }
  } else if (m.kind === 'file') {
    fields.push({ path: 'matrix.path', label: 'MatrixMarket file', type: 'text', hint: 'a path the compute host can read; pick a loaded matrix below' });
    summary = `file ${String(m.path).split('/').pop()}`;
  } else if (m.kind === 'graph') {
    fields.push(
      { path: 'matrix.path', label: 'Graph folder', type: 'text', hint: 'relative to the data folder (adjacency.mtx, features.mtx, labels.txt, split.json)' },
      { path: 'matrix.selfLoops', label: 'Self-loops', type: 'select', options: ['kipf', 'none'] },
    );
    summary = `graph ${String(m.path ?? m.name)}`;
  }
  return { id: 'matrix', title: 'Matrix', summary, fields };
}

function methodBlock(spec: Obj): Block {
  const m = isObj(spec.method) ? spec.method : {};
  const kind = String(m.kind);
  const fields: Field[] = [];
  switch (kind) {
    case 'jacobi':
      fields.push(
        { path: 'method.sweeps', label: 'Jacobi sweeps', type: 'int' },
        { path: 'method.rhs', label: 'Right-hand side b', type: 'select', options: RHS },
        { path: 'method.vectors.count', label: 'Vectors K', type: 'int' },
        { path: 'method.vectors.distribution', label: 'Vector entries', type: 'select', options: DIST },
        { path: 'method.resample', label: 'Fresh vectors every epoch', type: 'bool' },
      );
      break;
    case 'heavyball':
      fields.push(
        { path: 'method.iterations', label: 'Iterations', type: 'int' },
        { path: 'method.rhs', label: 'Right-hand side b', type: 'select', options: RHS },
        { path: 'method.train.count', label: 'Training vectors', type: 'int' },
        { path: 'method.test.count', label: 'Test vectors', type: 'int' },
      );
      break;
    case 'pcg':
      fields.push(
        { path: 'method.iterations', label: 'PCG iterations N_it', type: 'int' },
        { path: 'method.rhs', label: 'Right-hand side b', type: 'select', options: RHS },
        { path: 'method.historyIterations', label: 'History iterations', type: 'int' },
      );
      break;
    case 'gcn':
      fields.push(
        { path: 'method.hidden', label: 'Hidden units', type: 'int' },
        { path: 'method.dropout', label: 'Dropout', type: 'number' },
        { path: 'method.inputDropout', label: 'Input dropout', type: 'number' },
        { path: 'method.normalizeFeatures', label: 'Feature normalisation', type: 'select', options: ['row', 'none'] },
        { path: 'method.bias', label: 'Bias', type: 'bool' },
      );
      break;
  }
  const titles: Record<string, string> = { jacobi: 'weighted Jacobi', heavyball: 'heavyball', pcg: 'PCG', gcn: '2-layer GCN' };
  return { id: 'method', title: 'Method', summary: titles[kind] ?? kind, fields };
}

function parametersBlock(spec: Obj): Block {
  const params = isObj(spec.parameters) ? spec.parameters : {};
  const fields: Field[] = [];
  const parts: string[] = [];
  for (const [name, p] of Object.entries(params)) {
    if (!isObj(p)) continue;
    parts.push(`${name} (${String(p.kind)}${p.kind === 'sparse' ? `, ${String(p.pattern)}` : ''})`);
    if (p.kind === 'scalar' || p.kind === 'vector') fields.push({ path: `parameters.${name}.init`, label: `${name}: initial value`, type: 'number' });
    else if (p.kind === 'sparse') {
      fields.push(
        { path: `parameters.${name}.pattern`, label: `${name}: sparsity pattern`, type: 'select', options: PATTERNS },
        { path: `parameters.${name}.init.diagonal`, label: `${name}: initial diagonal`, type: 'number' },
        { path: `parameters.${name}.init.offDiagonal`, label: `${name}: initial off-diagonal`, type: 'number' },
      );
    } else if (p.kind === 'dense') fields.push({ path: `parameters.${name}.init`, label: `${name}: initialisation`, type: 'select', options: ['glorot', 'zeros'] });
  }
  return { id: 'parameters', title: 'Learnable parameters', summary: parts.join(', ') || 'none', fields };
}

function lossBlock(spec: Obj): Block {
  const l = isObj(spec.loss) ? spec.loss : {};
  const fields: Field[] = [{ path: 'loss.kind', label: 'Loss', type: 'select', options: ['energy', 'residual', 'weighted-residual', 'cross-entropy'] }];
  if (l.kind === 'energy' || l.kind === 'residual') fields.push({ path: 'loss.reduction', label: 'Reduction', type: 'select', options: ['sum', 'mean'] });
  if (l.kind === 'weighted-residual') fields.push({ path: 'loss.gamma', label: 'γ', type: 'number' });
  return { id: 'loss', title: 'Loss', summary: String(l.kind) + (l.kind === 'weighted-residual' ? ` γ = ${String(l.gamma)}` : ''), fields };
}

function optimizerBlock(spec: Obj): Block {
  const o = isObj(spec.optimizer) ? spec.optimizer : {};
  const fields: Field[] = [
    { path: 'optimizer.kind', label: 'Optimizer', type: 'select', options: ['adam', 'adamw', 'sgd'] },
    { path: 'optimizer.lr', label: 'Learning rate', type: 'number' },
  ];
  if (o.kind === 'sgd') fields.push({ path: 'optimizer.momentum', label: 'Momentum', type: 'number' });
  else fields.push({ path: 'optimizer.betas.0', label: 'β₁', type: 'number' }, { path: 'optimizer.betas.1', label: 'β₂', type: 'number' }, { path: 'optimizer.eps', label: 'ε', type: 'number' });
  if (typeof o.weightDecay === 'number') fields.push({ path: 'optimizer.weightDecay', label: 'Weight decay', type: 'number' });
  else if (isObj(o.weightDecay)) for (const name of Object.keys(o.weightDecay)) fields.push({ path: `optimizer.weightDecay.${name}`, label: `Weight decay on ${name}`, type: 'number' });
  fields.push(
    { path: 'epochs', label: 'Epochs', type: 'int' },
    { path: 'runs', label: 'Runs', type: 'int' },
    { path: 'seed', label: 'Seed', type: 'int' },
    { path: 'dtype', label: 'dtype', type: 'select', options: ['float64', 'float32'] },
    { path: 'device', label: 'Device', type: 'select', options: ['cpu', 'cuda'] },
  );
  return { id: 'optimizer', title: 'Optimizer', summary: `${String(o.kind)} lr ${String(o.lr)}, ${String(spec.epochs)} epochs × ${String(spec.runs)} runs`, fields };
}

export function blocksOf(spec: unknown): Block[] {
  const s = isObj(spec) ? spec : {};
  return [matrixBlock(s), methodBlock(s), parametersBlock(s), lossBlock(s), optimizerBlock(s)];
}

/** Reads a field's text as the value the spec holds, or an error message for the field. */
export function parseField(field: Field, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (field.type) {
    case 'int': {
      if (!/^[-+]?\d+$/.test(t)) return { error: `${field.label}: expected a whole number` };
      return { value: Number(t) };
    }
    case 'number': {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) return { error: `${field.label}: expected a number` };
      return { value: v };
    }
    default:
      return { value: text };
  }
}
