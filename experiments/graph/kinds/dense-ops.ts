// The engine's dense ops as nodes: elementwise (NumPy broadcasting), unary
// activations, reductions, matmul, softmax / log-softmax, dropout, gather,
// concat, reshape, transpose, cast.
import { z } from 'zod';
import * as E from '../../../native/lib/index.js';
import type { CsrMatrix, Tensor } from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, index, need, NodeIssue, type PortShape, shapeOf, showShape, sparse, streamField, streamOf } from '../catalogue.js';

const dn = (v: unknown): Tensor => v as Tensor;
const none = z.object({});

/** NumPy broadcasting of two shapes, or an issue naming both. */
export function broadcast(a: PortShape, b: PortShape, port = 'b'): number[] {
  const n = Math.max(a.shape.length, b.shape.length);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const x = a.shape[a.shape.length - n + k] ?? 1;
    const y = b.shape[b.shape.length - n + k] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (x < 0 || y < 0) out.push(Math.max(x, y));
    else throw new NodeIssue(`${showShape(a.shape)} meets ${showShape(b.shape)}: the shapes do not broadcast`, { port });
  }
  return out;
}

const binaries = {
  add: [E.add, 'a + b', 'Elementwise sum (broadcasting).'],
  sub: [E.sub, 'a − b', 'Elementwise difference (broadcasting).'],
  mul: [E.mul, 'a ⊙ b', 'Elementwise product (broadcasting), e.g. a scalar times a vector.'],
  div: [E.div, 'a / b', 'Elementwise quotient (broadcasting).'],
  pow: [E.pow, 'a ^ b', 'Elementwise power (broadcasting).'],
  maximum: [E.maximum, 'max(a, b)', 'Elementwise maximum (broadcasting).'],
  minimum: [E.minimum, 'min(a, b)', 'Elementwise minimum (broadcasting).'],
} as const;

for (const [kind, [fn, title, description]] of Object.entries(binaries)) {
  defineKind({
    kind,
    category: 'dense ops',
    title,
    description,
    fields: none,
    inputs: [dense('a', 'tensor'), dense('b', 'tensor (broadcast against a)')],
    outputs: [dense('y', 'the result')],
    infer: (_f, i) => {
      const a = need(i, 'a');
      const b = need(i, 'b');
      return { y: shapeOf('dense', broadcast(a, b), commonDtype(kind, ['a', a], ['b', b])) };
    },
    build: () => ({ evaluate: (i) => ({ y: fn(dn(i.a), dn(i.b)) }) }),
  });
}

defineKind({
  kind: 'scale',
  category: 'dense ops',
  title: 'c · x',
  description: 'A tensor times a constant number.',
  fields: z.object({ factor: z.number().default(1) }),
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'factor · x')],
  infer: (_f, i) => ({ y: { ...need(i, 'x') } }),
  build: (f) => ({ evaluate: (i) => ({ y: E.mul(dn(i.x), f.factor) }) }),
});

const unaries = {
  neg: [E.neg, '−x'],
  exp: [E.exp, 'exp(x)'],
  log: [E.log, 'log(x)'],
  sqrt: [E.sqrt, '√x'],
  abs: [E.abs, '|x|'],
  sin: [E.sin, 'sin(x)'],
  cos: [E.cos, 'cos(x)'],
  tanh: [E.tanh, 'tanh(x)'],
  relu: [E.relu, 'ReLU'],
  sigmoid: [E.sigmoid, 'sigmoid'],
} as const;

for (const [kind, [fn, title]] of Object.entries(unaries)) {
  defineKind({
    kind,
    category: 'dense ops',
    title,
    description: `Elementwise ${title}.`,
    fields: none,
    inputs: [dense('x', 'tensor')],
    outputs: [dense('y', 'same shape as x')],
    infer: (_f, i) => ({ y: { ...need(i, 'x'), shape: need(i, 'x').shape.slice() } }),
    build: () => ({ evaluate: (i) => ({ y: fn(dn(i.x)) }) }),
  });
}

for (const [kind, fn] of [
  ['sum', E.sum],
  ['mean', E.mean],
] as const) {
  defineKind({
    kind,
    category: 'dense ops',
    title: kind === 'sum' ? 'Σ x' : 'mean(x)',
    description: `The ${kind} over all entries, or along one axis.`,
    fields: z.object({ axis: z.int().min(-8).max(8).optional().describe('absent: over all entries'), keepdims: z.boolean().default(false) }),
    inputs: [dense('x', 'tensor')],
    outputs: [dense('y', 'the reduction')],
    infer: (f, i) => {
      const x = need(i, 'x');
      if (f.axis === undefined) return { y: shapeOf('dense', f.keepdims ? x.shape.map(() => 1) : [], x.dtype) };
      const ax = f.axis < 0 ? x.shape.length + f.axis : f.axis;
      if (ax < 0 || ax >= x.shape.length) throw new NodeIssue(`axis ${f.axis} is out of range for x of shape ${showShape(x.shape)}`, { field: 'axis' });
      const shape = f.keepdims ? x.shape.map((d, k) => (k === ax ? 1 : d)) : x.shape.filter((_, k) => k !== ax);
      return { y: shapeOf('dense', shape, x.dtype) };
    },
    build: (f) => ({ evaluate: (i) => ({ y: fn(dn(i.x), f.axis, f.keepdims) }) }),
  });
}

defineKind({
  kind: 'dot',
  category: 'dense ops',
  title: 'aᵀ b',
  description: 'Inner product of two vectors of one length (a scalar).',
  fields: none,
  inputs: [dense('a', 'vector'), dense('b', 'vector')],
  outputs: [dense('y', 'scalar')],
  infer: (_f, i) => {
    const a = need(i, 'a');
    const b = need(i, 'b');
    if (a.shape.length !== 1 || b.shape.length !== 1 || (a.shape[0]! >= 0 && b.shape[0]! >= 0 && a.shape[0] !== b.shape[0])) {
      throw new NodeIssue(`needs two vectors of one length but a is ${showShape(a.shape)} and b is ${showShape(b.shape)}`, { port: 'b' });
    }
    return { y: shapeOf('dense', [], commonDtype('dot', ['a', a], ['b', b])) };
  },
  build: () => ({ evaluate: (i) => ({ y: E.dot(dn(i.a), dn(i.b)) }) }),
});

defineKind({
  kind: 'norm',
  category: 'dense ops',
  title: '‖x‖',
  description: 'The 2-norm (Frobenius for a matrix), a scalar.',
  fields: none,
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'scalar')],
  infer: (_f, i) => ({ y: shapeOf('dense', [], need(i, 'x').dtype) }),
  build: () => ({ evaluate: (i) => ({ y: E.norm(dn(i.x)) }) }),
});

defineKind({
  kind: 'matmul',
  category: 'dense ops',
  title: 'Matmul  A·B',
  description: 'Dense matrix product (a tuned GEMM), e.g. H W in a GCN layer.',
  fields: none,
  inputs: [dense('A', 'm×k'), dense('B', 'k×n')],
  outputs: [dense('C', 'm×n')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    const B = need(i, 'B');
    if (A.shape.length !== 2 || B.shape.length !== 2) throw new NodeIssue(`needs two matrices but A is ${showShape(A.shape)} and B is ${showShape(B.shape)}`, { port: 'B' });
    if (A.shape[1]! >= 0 && B.shape[0]! >= 0 && A.shape[1] !== B.shape[0]) throw new NodeIssue(`A is ${showShape(A.shape)} but B is ${showShape(B.shape)}: B needs ${A.shape[1]} rows`, { port: 'B' });
    return { C: shapeOf('dense', [A.shape[0]!, B.shape[1]!], commonDtype('matmul', ['A', A], ['B', B])) };
  },
  build: () => ({ evaluate: (i) => ({ C: E.matmul(dn(i.A), dn(i.B)) }) }),
});

for (const [kind, fn, title] of [
  ['softmax', E.softmax, 'softmax'],
  ['log-softmax', E.logSoftmax, 'log-softmax'],
] as const) {
  defineKind({
    kind,
    category: 'dense ops',
    title,
    description: `Row-wise ${title} of a matrix of logits (along the last axis).`,
    fields: none,
    inputs: [dense('x', 'n×C logits')],
    outputs: [dense('y', 'n×C')],
    infer: (_f, i) => ({ y: { ...need(i, 'x'), shape: need(i, 'x').shape.slice() } }),
    build: () => ({ evaluate: (i) => ({ y: fn(dn(i.x)) }) }),
  });
}

defineKind({
  kind: 'dropout',
  category: 'dense ops',
  title: 'Dropout',
  description: 'In training passes, zeroes each entry with probability p and scales the rest by 1/(1−p) (inverted dropout); the identity when evaluating.',
  fields: z.object({ p: z.number().min(0).max(1).default(0.5), stream: streamField() }),
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'same shape')],
  random: true,
  variability: () => 'stochastic',
  infer: (_f, i) => ({ y: { ...need(i, 'x'), shape: need(i, 'x').shape.slice() } }),
  build: (f, ctx) => {
    const stream = streamOf(ctx.node);
    return { evaluate: (i, pc) => ({ y: pc.mode === 'train' && f.p > 0 ? E.dropout(dn(i.x), f.p, { generator: pc.generator(stream) }) : dn(i.x) }) };
  },
});

defineKind({
  kind: 'sparse-dropout',
  category: 'dense ops',
  title: 'Sparse dropout',
  description: 'Dropout on the stored values of a sparse matrix (e.g. sparse input features, as in Kipf’s code); the identity when evaluating.',
  fields: z.object({ p: z.number().min(0).max(1).default(0.5), stream: streamField() }),
  inputs: [sparse('A', 'sparse matrix')],
  outputs: [sparse('B', 'same pattern')],
  random: true,
  variability: () => 'stochastic',
  infer: (_f, i) => ({ B: { ...need(i, 'A'), shape: need(i, 'A').shape.slice() } }),
  build: (f, ctx) => {
    const stream = streamOf(ctx.node);
    return {
      evaluate: (i, pc) => {
        const A = i.A as CsrMatrix;
        return { B: pc.mode === 'train' && f.p > 0 ? A.withValues(E.dropout(A.values, f.p, { generator: pc.generator(stream) })) : A };
      },
    };
  },
});

defineKind({
  kind: 'gather',
  category: 'dense ops',
  title: 'Gather rows',
  description: 'The rows of x at the given indices, in order (the VJP scatter-adds back).',
  fields: none,
  inputs: [dense('x', 'tensor with rows'), index('rows', 'row indices')],
  outputs: [dense('y', 'len(rows) × …')],
  infer: (_f, i) => {
    const x = need(i, 'x');
    const r = need(i, 'rows');
    if (x.shape.length === 0) throw new NodeIssue('x must have at least one axis but is a scalar', { port: 'x' });
    return { y: shapeOf('dense', [r.shape[0]!, ...x.shape.slice(1)], x.dtype) };
  },
  build: () => ({ evaluate: (i) => ({ y: E.gatherRows(dn(i.x), i.rows as Int32Array) }) }),
});

defineKind({
  kind: 'concat',
  category: 'dense ops',
  title: 'Concatenate',
  description: 'Joins two to four tensors along an axis (other sizes must agree).',
  fields: z.object({ axis: z.int().min(0).max(8).default(0) }),
  inputs: [dense('a', 'tensor'), dense('b', 'tensor'), dense('c', 'tensor', true), dense('d', 'tensor', true)],
  outputs: [dense('y', 'the joined tensor')],
  infer: (f, i) => {
    const parts = (['a', 'b', 'c', 'd'] as const).filter((p) => i[p]).map((p) => [p, i[p]!] as const);
    const first = parts[0]![1];
    if (f.axis >= first.shape.length) throw new NodeIssue(`axis ${f.axis} is out of range for a of shape ${showShape(first.shape)}`, { field: 'axis' });
    let along = 0;
    for (const [p, s] of parts) {
      commonDtype('concat', ['a', first], [p, s]);
      if (s.shape.length !== first.shape.length || s.shape.some((d, k) => k !== f.axis && d >= 0 && first.shape[k]! >= 0 && d !== first.shape[k])) {
        throw new NodeIssue(`${p} is ${showShape(s.shape)} but a is ${showShape(first.shape)}; they may differ only along axis ${f.axis}`, { port: p });
      }
      along = along < 0 || s.shape[f.axis]! < 0 ? -1 : along + s.shape[f.axis]!;
    }
    return { y: shapeOf('dense', first.shape.map((d, k) => (k === f.axis ? along : d)), first.dtype) };
  },
  build: (f) => ({ evaluate: (i) => ({ y: E.concat([i.a, i.b, i.c, i.d].filter((t) => t !== undefined).map(dn), f.axis) }) }),
});

defineKind({
  kind: 'reshape',
  category: 'dense ops',
  title: 'Reshape',
  description: 'The same entries in another shape (row-major); one size may be −1 (inferred).',
  fields: z.object({ shape: z.array(z.int().min(-1)).max(8).default([-1]) }),
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'reshaped')],
  infer: (f, i) => {
    const x = need(i, 'x');
    const size = x.shape.some((d) => d < 0) ? -1 : x.shape.reduce((a, d) => a * d, 1);
    const known = f.shape.filter((d) => d >= 0).reduce((a, d) => a * d, 1);
    const free = f.shape.filter((d) => d < 0).length;
    if (free > 1) throw new NodeIssue('at most one size may be −1', { field: 'shape' });
    if (size >= 0 && (free ? size % Math.max(known, 1) !== 0 : size !== known)) throw new NodeIssue(`x has ${size} entries (${showShape(x.shape)}), which do not fit the shape [${f.shape.join(', ')}]`, { field: 'shape' });
    return { y: shapeOf('dense', f.shape.map((d) => (d < 0 ? (size < 0 ? -1 : size / Math.max(known, 1)) : d)), x.dtype) };
  },
  build: (f) => ({
    evaluate: (i) => {
      const x = dn(i.x);
      const known = f.shape.filter((d) => d >= 0).reduce((a, d) => a * d, 1);
      return { y: E.reshape(x, f.shape.map((d) => (d < 0 ? x.size / Math.max(known, 1) : d))) };
    },
  }),
});

defineKind({
  kind: 'dense-transpose',
  category: 'dense ops',
  title: 'Transpose  Xᵀ',
  description: 'The transpose of a dense matrix.',
  fields: none,
  inputs: [dense('x', 'm×n')],
  outputs: [dense('y', 'n×m')],
  infer: (_f, i) => {
    const x = need(i, 'x');
    if (x.shape.length !== 2) throw new NodeIssue(`x must be a matrix but is ${showShape(x.shape)}`, { port: 'x' });
    return { y: shapeOf('dense', [x.shape[1]!, x.shape[0]!], x.dtype) };
  },
  build: () => ({ evaluate: (i) => ({ y: E.denseTranspose(dn(i.x)) }) }),
});

defineKind({
  kind: 'cast',
  category: 'dense ops',
  title: 'Cast',
  description: 'A dense tensor in another element type (float64 ↔ float32).',
  fields: z.object({ dtype: z.enum(['float64', 'float32']).default('float32') }),
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'in dtype')],
  infer: (f, i) => ({ y: shapeOf('dense', need(i, 'x').shape.slice(), f.dtype) }),
  build: (f) => ({ evaluate: (i) => ({ y: E.cast(dn(i.x), f.dtype) }) }),
});

defineKind({
  kind: 'clamp',
  category: 'dense ops',
  title: 'clamp(x)',
  description: 'Each entry limited to [min, max] (either bound may be left out); the gradient passes where x is inside.',
  fields: z.object({ min: z.number().optional(), max: z.number().optional() }),
  inputs: [dense('x', 'tensor')],
  outputs: [dense('y', 'same shape')],
  infer: (_f, i) => ({ y: { ...need(i, 'x'), shape: need(i, 'x').shape.slice() } }),
  build: (f) => ({ evaluate: (i) => ({ y: E.clamp(dn(i.x), f.min ?? null, f.max ?? null) }) }),
});

defineKind({
  kind: 'where',
  category: 'dense ops',
  title: 'where(c, a, b)',
  description: 'a where the condition is nonzero, b elsewhere (broadcasting the three together).',
  fields: none,
  inputs: [dense('cond', 'condition (nonzero = true)'), dense('a', 'tensor'), dense('b', 'tensor')],
  outputs: [dense('y', 'the picked entries')],
  infer: (_f, i) => {
    const c = need(i, 'cond');
    const a = need(i, 'a');
    const b = need(i, 'b');
    const dtype = commonDtype('where', ['a', a], ['b', b]);
    return { y: shapeOf('dense', broadcast({ ...c, shape: broadcast(a, b) }, c, 'cond'), dtype) };
  },
  build: () => ({ evaluate: (i) => ({ y: E.where(dn(i.cond), dn(i.a), dn(i.b)) }) }),
});

function systemShapes(i: Record<string, PortShape | undefined>, m: 'A' | 'L'): PortShape {
  const A = need(i, m);
  const b = need(i, 'b');
  if (A.shape.length !== 2 || (A.shape[0]! >= 0 && A.shape[1]! >= 0 && A.shape[0] !== A.shape[1])) throw new NodeIssue(`${m} must be a square matrix but is ${showShape(A.shape)}`, { port: m });
  if (b.shape.length < 1 || b.shape.length > 2 || (b.shape[0]! >= 0 && A.shape[0]! >= 0 && b.shape[0] !== A.shape[0])) throw new NodeIssue(`b is ${showShape(b.shape)} but ${m} is ${showShape(A.shape)}: b needs ${A.shape[0]} rows`, { port: 'b' });
  return shapeOf('dense', b.shape.slice(), commonDtype('solve', [m, A], ['b', b]));
}

defineKind({
  kind: 'dense-solve',
  category: 'dense ops',
  title: 'Dense solve  A⁻¹b',
  description: 'x = A⁻¹ b for a square dense A (LU with partial pivoting); the dense counterpart of spsolve.',
  fields: none,
  inputs: [dense('A', 'n×n'), dense('b', 'n or n×k')],
  outputs: [dense('x', 'shaped as b')],
  infer: (_f, i) => ({ x: systemShapes(i, 'A') }),
  build: () => ({ evaluate: (i) => ({ x: E.denseSolve(dn(i.A), dn(i.b)) }) }),
});

defineKind({
  kind: 'dense-triangular-solve',
  category: 'dense ops',
  title: 'Dense triangular solve  L⁻¹b',
  description: 'x = L⁻¹ b with the lower (or upper) triangle of a square dense L; the dense counterpart of sptrsv.',
  fields: z.object({ lower: z.boolean().default(true), unitDiagonal: z.boolean().default(false) }),
  inputs: [dense('L', 'n×n'), dense('b', 'n or n×k')],
  outputs: [dense('x', 'shaped as b')],
  infer: (_f, i) => ({ x: systemShapes(i, 'L') }),
  build: (f) => ({ evaluate: (i) => ({ x: E.denseTriangularSolve(dn(i.L), dn(i.b), { lower: f.lower, unitDiagonal: f.unitDiagonal }) }) }),
});
