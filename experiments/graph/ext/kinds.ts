// Node kinds for the templates beyond the paper (inverse-diffusion, graph-model,
// learned-smoother), written to the catalogue's conventions (catalogue.ts): the
// data on a grid that a coefficient-identification problem needs, noisy
// observations, a classification problem on the graph of any matrix, and the
// smoother and block-CG blocks of a learned smoother in front of CG.
import { z } from 'zod';
import { type CsrMatrix, type Tensor } from '../../../native/lib/index.js';
import { dtypeField, defineKind, dense, index, need, NodeIssue, resolveDtype, sameSize, shapeOf, showShape, sparse, streamField, streamOf, commonDtype, type PortShape } from '../catalogue.js';
import { FIELD_SHAPES, gaussianSources, gridFaces, gridField, gridGradient } from './grid.js';
import { clusteredFeatures, matrixAdjacency, randomSplit, voronoiLabels } from './matrix-graph.js';
import { addNoise } from './noise.js';
import { conjugateGradient, smooth } from './solvers.js';

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;
const constant = () => 'constant' as const;
const gridSize = { nx: z.int().min(1).max(10_000).default(32).describe('cells across (the fast index)'), ny: z.int().min(1).max(10_000).default(32).describe('cells down') };

defineKind({
  kind: 'grid-field',
  category: 'sources',
  title: 'Field on a grid',
  description: 'A known coefficient field on an nx×ny grid of cells (nx fastest): a conductive inclusion on a sloped background, two layers, or a constant. The truth an inverse problem recovers.',
  fields: z.object({ shape: z.enum(FIELD_SHAPES).default('inclusion'), ...gridSize, dtype: dtypeField() }),
  inputs: [],
  outputs: [dense('field', 'nx·ny values, row-major')],
  variability: constant,
  infer: (f, _i, ctx) => ({ field: shapeOf('dense', [f.nx * f.ny], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ field: gridField(f.shape, f.nx, f.ny, resolveDtype(f.dtype, ctx.training)) }) }),
});

defineKind({
  kind: 'grid-sources',
  category: 'sources',
  title: 'Sources on a grid',
  description: 'K right-hand sides on an nx×ny grid, each a Gaussian source at a well-spread point of the inner square: the experiments that probe a coefficient field.',
  fields: z.object({
    ...gridSize,
    count: z.int().min(1).max(10_000).default(4).describe('K, the number of sources (columns)'),
    width: z.number().gt(0).max(10).default(0.1).describe('standard deviation of each source (the square is 1 wide)'),
    amplitude: z.number().default(10).describe('peak value'),
    dtype: dtypeField(),
  }),
  inputs: [],
  outputs: [dense('F', '(nx·ny)×K block, one source per column')],
  variability: constant,
  infer: (f, _i, ctx) => ({ F: shapeOf('dense', [f.nx * f.ny, f.count], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ F: gaussianSources(f.nx, f.ny, f.count, f.width, f.amplitude, resolveDtype(f.dtype, ctx.training)) }) }),
});

defineKind({
  kind: 'grid-gradient',
  category: 'structure',
  title: 'Grid differences  G',
  description: 'The differences of a cell field across every interior face of an nx×ny grid (faces × cells, rows −1, +1): ‖Gθ‖² is a smoothness penalty.',
  fields: z.object({ ...gridSize, dtype: dtypeField() }),
  inputs: [],
  outputs: [sparse('G', 'faces × (nx·ny)')],
  variability: constant,
  infer: (f, _i, ctx) => ({ G: shapeOf('sparse', [gridFaces(f.nx, f.ny), f.nx * f.ny], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({ evaluate: () => ({ G: gridGradient(f.nx, f.ny, resolveDtype(f.dtype, ctx.training)) }) }),
});

defineKind({
  kind: 'add-noise',
  category: 'dense ops',
  title: 'Add noise',
  description: "x + σ ε with ε standard normal, drawn once per run: σ = level · max|x| (scale 'relative') or level (scale 'absolute'). Noisy observations of a computed quantity.",
  fields: z.object({
    level: z.number().min(0).default(0.01),
    scale: z.enum(['relative', 'absolute']).default('relative').describe("'relative': σ = level · max|x|; 'absolute': σ = level"),
    stream: streamField(),
  }),
  inputs: [dense('x', 'the clean values (not depending on a parameter)')],
  outputs: [dense('y', 'x plus noise')],
  random: true,
  variability: () => 'random',
  infer: (_f, i) => ({ y: { ...need(i, 'x'), shape: need(i, 'x').shape.slice() } }),
  build: (f, ctx) => {
    const stream = streamOf(ctx.node);
    return { evaluate: (i, pc) => ({ y: addNoise(dn(i.x), f.level, f.scale, pc.generator(stream)) }) };
  },
});

defineKind({
  kind: 'matrix-graph',
  category: 'sources',
  title: 'Graph of a matrix',
  description:
    'A node-classification problem on the graph of any square matrix (an edge where A_ij or A_ji is stored): labels are graph-Voronoi regions of random seed nodes, features noisy class means, a random train/test split (drawn per run).',
  fields: z.object({
    classes: z.int().min(2).max(1000).default(4),
    features: z.int().min(1).max(10_000).default(16).describe('F, features per node'),
    sigma: z.number().min(0).default(3).describe('feature noise: x_i = μ_class + σ ε'),
    trainFraction: z.number().gt(0).lt(1).default(0.1).describe('fraction of the nodes that train'),
    stream: streamField(),
    dtype: dtypeField(),
  }),
  inputs: [sparse('A', 'n×n matrix whose pattern is the graph')],
  outputs: [
    sparse('adjacency', 'n×n symmetric 0/1 adjacency, no self-loops'),
    dense('features', 'n×F node features'),
    index('labels', 'class of each node'),
    index('train', 'training nodes'),
    index('test', 'test nodes'),
  ],
  random: true,
  variability: () => 'random',
  infer: (f, i, ctx) => {
    const A = need(i, 'A');
    if (!sameSize(A.shape[0]!, A.shape[1]!)) throw new NodeIssue(`a graph needs a square matrix but A is ${showShape(A.shape)}`, { port: 'A' });
    const n = A.shape[0]!;
    if (n >= 0 && n < f.classes) throw new NodeIssue(`${f.classes} classes need at least as many nodes but A has ${n} rows`, { field: 'classes' });
    const train = n < 0 ? -1 : Math.min(n - 1, Math.max(1, Math.round(f.trainFraction * n)));
    const dt = resolveDtype(f.dtype, ctx.training);
    return {
      adjacency: shapeOf('sparse', [n, n], dt),
      features: shapeOf('dense', [n, f.features], dt),
      labels: shapeOf('index', [n], 'int32'),
      train: shapeOf('index', [train], 'int32'),
      test: shapeOf('index', [n < 0 ? -1 : n - train], 'int32'),
    };
  },
  build: (f, ctx) => {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const stream = streamOf(ctx.node);
    return {
      evaluate: (i, pc) => {
        const g = pc.generator(stream);
        const adjacency = matrixAdjacency(sp(i.A), dtype);
        const labels = voronoiLabels(adjacency, f.classes, g);
        const features = clusteredFeatures(labels, f.classes, f.features, f.sigma, g, dtype);
        const { train, test } = randomSplit(labels.length, f.trainFraction, g);
        return { adjacency, features, labels, train, test };
      },
    };
  },
});

/** A is square, b a vector or block of A's size; extra sparse ports (M) match A. */
function solverShapes(i: Record<string, PortShape | undefined>, extra: string[]): PortShape {
  const A = need(i, 'A');
  const b = need(i, 'b');
  if (!sameSize(A.shape[0]!, A.shape[1]!)) throw new NodeIssue(`A must be square but is ${showShape(A.shape)}`, { port: 'A' });
  if (b.shape.length < 1 || b.shape.length > 2) throw new NodeIssue(`b must be a vector or an n×K block but is ${showShape(b.shape)}`, { port: 'b' });
  if (!sameSize(b.shape[0]!, A.shape[0]!)) throw new NodeIssue(`b has ${b.shape[0]} rows but A is ${showShape(A.shape)}`, { port: 'b' });
  commonDtype('solver', ['A', A], ['b', b]);
  for (const p of extra) {
    const s = i[p];
    if (!s) continue;
    if (p === 'x0') {
      if (s.shape.length !== b.shape.length || s.shape.some((d, k) => !sameSize(d, b.shape[k]!))) throw new NodeIssue(`x0 is ${showShape(s.shape)} but b is ${showShape(b.shape)}; they must have one shape`, { port: p });
    } else if (!sameSize(s.shape[0]!, A.shape[0]!) || !sameSize(s.shape[1]!, A.shape[1]!)) {
      throw new NodeIssue(`${p} is ${showShape(s.shape)} but A is ${showShape(A.shape)}`, { port: p });
    }
    commonDtype('solver', ['A', A], [p, s]);
  }
  return b;
}

defineKind({
  kind: 'smoother',
  category: 'iteration',
  title: 'Smoother ×ν',
  description: 'ν sweeps of x⁺ = x + M (b − A x) from x = 0 (the first gives M b): a smoother M, e.g. learned on A’s pattern. For a vector or an n×K block.',
  fields: z.object({ sweeps: z.int().min(1).max(10_000).default(2) }),
  inputs: [sparse('A', 'n×n matrix'), sparse('M', 'n×n smoother'), dense('b', 'right-hand side(s): n or n×K')],
  outputs: [dense('x', 'the smoothed iterate(s)')],
  infer: (_f, i) => {
    need(i, 'M');
    const b = solverShapes(i, ['M']);
    return { x: shapeOf('dense', b.shape.slice(), b.dtype) };
  },
  build: (f) => ({ evaluate: (i) => ({ x: smooth(sp(i.A), sp(i.M), dn(i.b), f.sweeps) }) }),
});

defineKind({
  kind: 'block-cg',
  category: 'iteration',
  title: 'CG from x₀ ×k (blocks)',
  description:
    'k conjugate-gradient iterations for A x = b from a starting guess x₀ (0 when not wired), each column of an n×K block on its own. Outputs the iterate and ‖r_i‖/‖b‖ after each iteration (mean over the columns).',
  fields: z.object({ iterations: z.int().min(1).max(10_000).default(5) }),
  inputs: [sparse('A', 'n×n SPD matrix'), dense('b', 'right-hand side(s): n or n×K (nonzero columns)'), dense('x0', 'starting guess, shaped as b', true)],
  outputs: [dense('x', 'the iterate after k iterations'), dense('residuals', 'relative residuals after each iteration (length k)')],
  infer: (f, i) => {
    const b = solverShapes(i, ['x0']);
    return { x: shapeOf('dense', b.shape.slice(), b.dtype), residuals: shapeOf('dense', [f.iterations], b.dtype) };
  },
  build: (f) => ({
    evaluate: (i) => {
      const { x, residuals } = conjugateGradient(sp(i.A), dn(i.b), i.x0 ? dn(i.x0) : null, f.iterations);
      return { x, residuals };
    },
  }),
});
