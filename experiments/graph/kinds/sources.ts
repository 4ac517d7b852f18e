// Sources: matrices (generators, files, random), graph datasets, vectors and
// blocks of vectors. They are computed on the CPU when the graph is compiled
// (constants) or when a run starts (random draws); the runner moves them to the
// run's device.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { astype, CsrMatrix, spadd, type DType, poisson1d, poisson2d, tensor, zeros, type Tensor, type Generator } from '../../../native/lib/index.js';
import { loadGraph, type Graph as GraphData } from '../../data/graph.js';
import { readMatrixFile } from '../../data/matrix-file.js';
import { defineKind, dense, dtypeField, index, NodeIssue, resolveDtype, shapeOf, sparse, streamField, streamOf, type InferContext } from '../catalogue.js';
import { resolveDataPath } from '../data-dir.js';
import { graphFolderSizes, matrixMarketSize } from './header.js';

const constant = () => 'constant' as const;

defineKind({
  kind: 'poisson1d',
  category: 'sources',
  title: '1-D Poisson',
  description: 'tridiag(−1, 2, −1) on n interior points (eq. 15): the SPD model matrix of the paper.',
  fields: z.object({ n: z.int().min(1).max(50_000_000).default(16).describe('interior points (rows)'), dtype: dtypeField() }),
  inputs: [],
  outputs: [sparse('A', 'the n×n matrix')],
  variability: constant,
  infer: (f, _i, ctx) => ({ A: shapeOf('sparse', [f.n, f.n], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ A: poisson1d(f.n, { dtype: resolveDtype(f.dtype, ctx.training) }) }) }),
});

defineKind({
  kind: 'poisson2d',
  category: 'sources',
  title: '2-D Poisson',
  description: 'The 5-point Laplacian on an nx×ny grid, A_nx ⊗ I + I ⊗ A_ny (eq. 26); nx·ny rows, nx the fast index.',
  fields: z
    .object({ nx: z.int().min(1).max(100_000).default(8), ny: z.int().min(1).max(100_000).default(8), dtype: dtypeField() })
    .refine((f) => f.nx * f.ny <= 50_000_000, { message: 'the grid is too large (at most 50,000,000 unknowns)', path: ['nx'] }),
  inputs: [],
  outputs: [sparse('A', 'the (nx·ny)×(nx·ny) matrix')],
  variability: constant,
  infer: (f, _i, ctx) => ({ A: shapeOf('sparse', [f.nx * f.ny, f.nx * f.ny], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ A: poisson2d(f.nx, f.ny, { dtype: resolveDtype(f.dtype, ctx.training) }) }) }),
});

function findFile(path: string, ctx: InferContext): string {
  const { path: found, tried } = resolveDataPath(path, ctx.dataDir, ctx.specDir);
  if (!found) throw new NodeIssue(`file not found: ${path} (looked in ${tried.join(', ')})`, { field: 'path' });
  return found;
}

defineKind({
  kind: 'matrix-file',
  category: 'sources',
  title: 'Matrix file',
  description: 'A MatrixMarket file (.mtx or .mtx.gz; symmetric files expanded, pattern files with value 1). Relative paths: the graph file’s folder, then the data folder.',
  fields: z.object({ path: z.string().min(1).default('matrices/bcsstk01.mtx').describe('path of the .mtx file'), dtype: dtypeField() }),
  inputs: [],
  outputs: [sparse('A', 'the matrix as read')],
  variability: constant,
  async infer(f, _i, ctx) {
    const path = findFile(f.path, ctx);
    try {
      const s = await matrixMarketSize(path);
      return { A: shapeOf('sparse', [s.rows, s.cols], resolveDtype(f.dtype, ctx.training)) };
    } catch (e) {
      throw new NodeIssue((e as Error).message, { field: 'path' });
    }
  },
  async build(f, ctx) {
    const A = await readMatrixFile(findFile(f.path, ctx), resolveDtype(f.dtype, ctx.training));
    return { evaluate: () => ({ A }) };
  },
});

/** Entries of a random value distribution. */
function draw(g: Generator, distribution: 'normal' | 'uniform'): number {
  return distribution === 'normal' ? g.normal() : g.uniform();
}

defineKind({
  kind: 'random-sparse',
  category: 'sources',
  title: 'Random sparse',
  description:
    'A rows×cols matrix with each entry present with probability `density` (seeded per run). `spd`: symmetrised and made strictly diagonally dominant, so it is SPD.',
  fields: z
    .object({
      rows: z.int().min(1).max(10_000_000).default(64),
      cols: z.int().min(1).max(10_000_000).default(64),
      density: z.number().gt(0).max(1).default(0.05),
      values: z.enum(['normal', 'uniform', 'ones']).default('normal'),
      spd: z.boolean().default(false).describe('symmetric positive definite (needs rows = cols)'),
      stream: streamField(),
      dtype: dtypeField(),
    })
    .refine((f) => !f.spd || f.rows === f.cols, { message: 'an SPD matrix must be square (rows = cols)', path: ['spd'] }),
  inputs: [],
  outputs: [sparse('A', 'the matrix')],
  random: true,
  variability: () => 'random',
  infer: (f, _i, ctx) => ({ A: shapeOf('sparse', [f.rows, f.cols], resolveDtype(f.dtype, ctx.training)) }),
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const stream = streamOf(ctx.node);
    return {
      evaluate(_in, pc) {
        const g = pc.generator(stream);
        const r: number[] = [];
        const c: number[] = [];
        const v: number[] = [];
        // Each row draws its entries by geometric skips, O(nnz) rather than O(rows·cols).
        const logq = Math.log1p(-Math.min(f.density, 1 - 1e-12));
        for (let i = 0; i < f.rows; i++) {
          let j = f.density >= 1 ? 0 : Math.floor(Math.log(1 - g.uniform()) / logq);
          while (j < f.cols) {
            r.push(i);
            c.push(j);
            v.push(f.values === 'ones' ? 1 : draw(g, f.values));
            j += f.density >= 1 ? 1 : 1 + Math.floor(Math.log(1 - g.uniform()) / logq);
          }
        }
        if (!f.spd) return { A: CsrMatrix.fromCoo(r, c, v, [f.rows, f.cols], { dtype }) };
        // (B + Bᵀ)/2 off the diagonal, and on it 1 + Σ_j |offdiagonal|: SPD by Gershgorin.
        const rr: number[] = [];
        const cc: number[] = [];
        const vv: number[] = [];
        const diag = new Float64Array(f.rows).fill(1);
        for (let k = 0; k < r.length; k++) {
          if (r[k] === c[k]) continue;
          for (const [a, b] of [[r[k]!, c[k]!], [c[k]!, r[k]!]] as const) {
            rr.push(a);
            cc.push(b);
            vv.push(v[k]! / 2);
            diag[a]! += Math.abs(v[k]! / 2);
          }
        }
        for (let i = 0; i < f.rows; i++) {
          rr.push(i);
          cc.push(i);
          vv.push(diag[i]!);
        }
        return { A: CsrMatrix.fromCoo(rr, cc, vv, [f.rows, f.rows], { dtype }) };
      },
    };
  },
});

defineKind({
  kind: 'graph-dataset',
  category: 'sources',
  title: 'Graph dataset',
  description:
    'A node-classification graph: a folder (adjacency.mtx, features.mtx, labels.txt, split.json; e.g. citeseer) or Planetoid raw files. Outputs the adjacency, the sparse features, labels and the train/val/test node lists.',
  fields: z.object({
    format: z.enum(['folder', 'planetoid']).default('folder'),
    path: z.string().min(1).optional().describe('folder (relative to the data folder unless absolute)'),
    name: z.string().regex(/^[A-Za-z0-9_-]+$/).optional().describe("Planetoid dataset name (the <name> in ind.<name>.x)"),
    url: z.string().regex(/^https?:\/\//).optional().describe('Planetoid: base URL to fetch missing raw files from'),
    cache: z.string().min(1).optional().describe('Planetoid: folder the fetched files are kept in'),
    selfLoops: z
      .enum(['kipf', 'none'])
      .default('kipf')
      .describe("'kipf': keep the raw graph's self-loops on the adjacency's diagonal (as Kipf's code); 'none': drop them"),
  }),
  inputs: [],
  outputs: [
    sparse('adjacency', 'n×n symmetric adjacency (self-loops on the diagonal when kept)'),
    sparse('features', 'n×F node features, as stored'),
    index('labels', 'class of each node (−1: none)'),
    dense('onehot', 'n×C one-hot labels (zero rows for unlabelled nodes); its width is the number of classes'),
    index('train', 'training nodes'),
    index('val', 'validation nodes'),
    index('test', 'test nodes'),
  ],
  variability: constant,
  async infer(f, _i, ctx) {
    const dt = ctx.training.dtype;
    let s = { nodes: -1, features: -1, classes: -1, train: -1, val: -1, test: -1 };
    if (f.format === 'folder') {
      if (!f.path) throw new NodeIssue("a folder graph needs a path (e.g. 'citeseer')", { field: 'path' });
      const dir = findFile(f.path, ctx);
      try {
        s = await graphFolderSizes(dir);
      } catch (e) {
        throw new NodeIssue((e as Error).message, { field: 'path' });
      }
    } else {
      if (!f.name) throw new NodeIssue('a planetoid graph needs the dataset name', { field: 'name' });
      if (!f.path && !f.url) throw new NodeIssue('a planetoid graph needs a path to the raw files or a url to fetch them from', { field: 'path' });
    }
    return {
      adjacency: shapeOf('sparse', [s.nodes, s.nodes], dt),
      features: shapeOf('sparse', [s.nodes, s.features], dt),
      labels: shapeOf('index', [s.nodes], 'int32'),
      onehot: shapeOf('dense', [s.nodes, s.classes], dt),
      train: shapeOf('index', [s.train], 'int32'),
      val: shapeOf('index', [s.val], 'int32'),
      test: shapeOf('index', [s.test], 'int32'),
    };
  },
  async build(f, ctx) {
    const dt = ctx.training.dtype;
    const data: GraphData = await loadGraph(f as never, ctx.dataDir);
    if (data.classes < 2) throw new NodeIssue(`the graph ${data.name} has ${data.classes} class(es); classification needs at least 2`);
    let adjacency = data.adjacency;
    if (f.selfLoops === 'kipf' && data.selfLoops.length > 0) {
      const loops = Array.from(data.selfLoops);
      adjacency = spadd(adjacency, CsrMatrix.fromCoo(loops, loops, loops.map(() => 1), [data.nodes, data.nodes]));
    }
    const onehot = zeros([data.nodes, data.classes], { dtype: dt });
    data.labels.forEach((l, i) => {
      if (l >= 0) onehot.data[i * data.classes + l] = 1;
    });
    const out = {
      adjacency: astype(adjacency, dt),
      features: astype(data.features, dt),
      labels: data.labels,
      onehot,
      train: data.split.train,
      val: data.split.val,
      test: data.split.test,
    };
    return { evaluate: () => out };
  },
});

// ---------------------------------------------------------------------------
// Vectors

const VectorFields = z.object({
  fill: z
    .enum(['zero', 'ones', 'constant', 'random', 'linear', 'file'])
    .default('ones')
    .describe("'linear': entry k = the (k mod period)-th interior point of (−1, 1), the forcing of the authors' PCG demo; 'file': one number per line"),
  value: z.number().default(1).describe("the value of every entry ('constant')"),
  distribution: z.enum(['normal', 'uniform']).default('normal').describe("'random': standard normal or uniform on [0, 1)"),
  length: z.int().min(0).max(100_000_000).default(0).describe("entries; 0: the rows of the matrix on input 'like'"),
  period: z.int().min(0).max(100_000_000).default(0).describe("'linear': the size of the grid's fast index (nx for a 2-D grid); 0: the length"),
  columns: z.int().min(0).max(1_000_000).default(0).describe('0: a vector; k ≥ 1: an n×k block with the vector in every column'),
  path: z.string().default('').describe("'file': the text file"),
  stream: streamField(),
  dtype: dtypeField(),
});

function vectorLength(f: { length: number }, like: { shape: number[] } | undefined): number {
  if (f.length > 0) return f.length;
  if (!like) throw new NodeIssue("the length is 0 (follow a matrix) but input 'like' is not connected: set length or connect a matrix", { port: 'like' });
  return like.shape[0]!;
}

defineKind({
  kind: 'vector',
  category: 'sources',
  title: 'Vector / right-hand side',
  description: 'A vector b: zero, ones, a constant, seeded random, linear along a grid’s fast index, or read from a file; optionally repeated as the columns of a block.',
  fields: VectorFields,
  inputs: [sparse('like', 'a matrix whose row count is the length (when length is 0)', true)],
  outputs: [dense('b', 'the vector (or n×columns block)')],
  random: true,
  variability: (f) => (f.fill === 'random' ? 'random' : 'constant'),
  infer(f, i, ctx) {
    const n = vectorLength(f, i.like);
    if (f.fill === 'file' && !f.path) throw new NodeIssue("fill 'file' needs a path", { field: 'path' });
    return { b: shapeOf('dense', f.columns > 0 ? [n, f.columns] : [n], resolveDtype(f.dtype, ctx.training)) };
  },
  async build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const n = ctx.outputs.b!.shape[0]!;
    const stream = streamOf(ctx.node);
    let fromFile: Float64Array | null = null;
    if (f.fill === 'file') {
      const text = await readFile(findFile(f.path, ctx), 'utf8');
      const nums = text.split(/[\s,]+/).filter((s) => s !== '').map(Number);
      if (nums.length !== n || nums.some((x) => !Number.isFinite(x))) throw new NodeIssue(`${f.path} holds ${nums.length} numbers but the vector has length ${n}`, { field: 'path' });
      fromFile = Float64Array.from(nums);
    }
    return {
      evaluate(_in, pc) {
        const b = new Float64Array(n);
        switch (f.fill) {
          case 'zero':
            break;
          case 'ones':
            b.fill(1);
            break;
          case 'constant':
            b.fill(f.value);
            break;
          case 'random': {
            const g = pc.generator(stream);
            for (let i = 0; i < n; i++) b[i] = draw(g, f.distribution);
            break;
          }
          case 'linear': {
            const m = f.period > 0 ? f.period : n;
            for (let i = 0; i < n; i++) b[i] = -1 + (2 * ((i % m) + 1)) / (m + 1);
            break;
          }
          case 'file':
            b.set(fromFile!);
            break;
        }
        return { b: f.columns > 0 ? block(b, f.columns, dtype) : tensor(b, { dtype }) };
      },
    };
  },
});

/** n × count block with b in every column. */
function block(b: Float64Array, count: number, dtype: DType): Tensor {
  const n = b.length;
  const B = zeros([n, count], { dtype });
  for (let i = 0; i < n; i++) B.data.fill(b[i]!, i * count, (i + 1) * count);
  return B;
}

defineKind({
  kind: 'random-block',
  category: 'sources',
  title: 'Random vectors',
  description: 'K vectors with seeded random entries, as the columns of an n×K block (the x_k a solver loss is taken over). `resample`: fresh vectors every epoch.',
  fields: z.object({
    rows: z.int().min(0).max(100_000_000).default(0).describe("n; 0: the rows of the matrix on input 'like'"),
    count: z.int().min(1).max(1_000_000).default(64).describe('K, the number of vectors (columns)'),
    distribution: z.enum(['normal', 'uniform']).default('normal'),
    resample: z.boolean().default(false).describe('draw fresh vectors at the start of every epoch (after the first)'),
    stream: streamField(),
    dtype: dtypeField(),
  }),
  inputs: [sparse('like', 'a matrix whose row count is n (when rows is 0)', true)],
  outputs: [dense('X', 'the n×K block')],
  random: true,
  variability: (f) => (f.resample ? 'resampled' : 'random'),
  infer(f, i, ctx) {
    const n = vectorLength({ length: f.rows }, i.like);
    return { X: shapeOf('dense', [n, f.count], resolveDtype(f.dtype, ctx.training)) };
  },
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const n = ctx.outputs.X!.shape[0]!;
    const stream = streamOf(ctx.node);
    return {
      evaluate(_in, pc) {
        const g = pc.generator(stream);
        const X = zeros([n, f.count], { dtype });
        const d = X.data;
        for (let i = 0; i < d.length; i++) d[i] = draw(g, f.distribution);
        return { X };
      },
    };
  },
});

defineKind({
  kind: 'scalar',
  category: 'sources',
  title: 'Scalar',
  description: 'A constant number (a 0-D tensor), e.g. a step size or a weight.',
  fields: z.object({ value: z.number().default(1), dtype: dtypeField() }),
  inputs: [],
  outputs: [dense('value', 'the number')],
  variability: constant,
  infer: (f, _i, ctx) => ({ value: shapeOf('dense', [], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ value: tensor(f.value, { dtype: resolveDtype(f.dtype, ctx.training) }) }) }),
});
