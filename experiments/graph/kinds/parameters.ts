// Parameters: the learnable leaves, made on the CPU for each run (seeded where
// random) and then copied to the run's device. A parameter's node id is its name
// in the optimizer, in the epoch events and in training.optimizer.weightDecay.
import { z } from 'zod';
import { CsrMatrix, diags, eye, full, rand, spmv, tril, triu, zeros, type Tensor } from '../../../native/lib/index.js';
import { defineKind, dense, dtypeField, need, NodeIssue, resolveDtype, shapeOf, sparse, streamField, streamOf } from '../catalogue.js';
import { assembleDiffusion2d, diffusionPattern } from './fields.js';

const parameter = () => 'parameter' as const;
const value = (pc: { param?: Tensor | CsrMatrix }): Tensor | CsrMatrix => pc.param!;

defineKind({
  kind: 'scalar-parameter',
  category: 'parameters',
  title: 'Scalar parameter',
  description: 'A learnable number (a 0-D tensor), e.g. the α or β of heavyball.',
  fields: z.object({ init: z.number().default(0.25).describe('initial value'), dtype: dtypeField() }),
  inputs: [],
  outputs: [dense('value', 'the parameter')],
  variability: parameter,
  infer: (f, _i, ctx) => ({ value: shapeOf('dense', [], resolveDtype(f.dtype, ctx.training)) }),
  build: (f, ctx) => ({
    createParameter: () => full([], f.init, { dtype: resolveDtype(f.dtype, ctx.training), requiresGrad: true }),
    evaluate: (_i, pc) => ({ value: value(pc) }),
  }),
});

const InitFields = {
  init: z.enum(['constant', 'normal', 'uniform', 'glorot']).default('constant').describe("'glorot': uniform on ±√(6/(rows+cols)) (matrices)"),
  value: z.number().default(1).describe("'constant': every entry; 'normal'/'uniform': the scale"),
  stream: streamField(),
  dtype: dtypeField(),
};

function initTensor(shape: number[], f: { init: string; value: number }, dtype: 'float64' | 'float32', gen: () => import('../../../native/lib/index.js').Generator): Tensor {
  switch (f.init) {
    case 'constant':
      return full(shape, f.value, { dtype, requiresGrad: true });
    case 'glorot': {
      if (shape.length < 2) return zeros(shape, { dtype, requiresGrad: true }); // a bias: zeros, as Kipf's code
      const r = Math.sqrt(6 / (shape[0]! + shape[1]!));
      return rand(shape, { low: -r, high: r, generator: gen(), dtype, requiresGrad: true });
    }
    case 'uniform':
      return rand(shape, { low: -f.value, high: f.value, generator: gen(), dtype, requiresGrad: true });
    default: {
      const t = zeros(shape, { dtype });
      const g = gen();
      for (let i = 0; i < t.data.length; i++) t.data[i] = f.value * g.normal();
      return t.requiresGrad_();
    }
  }
}

defineKind({
  kind: 'vector-parameter',
  category: 'parameters',
  title: 'Vector parameter',
  description: "A learnable vector, e.g. the node-wise Jacobi weights ω. Its length is a number, the rows of the matrix on 'like', or the last size of the tensor on 'sizeOf'.",
  fields: z.object({ length: z.int().min(0).max(100_000_000).default(0).describe("0: follow 'like' or 'sizeOf'"), ...InitFields }),
  inputs: [sparse('like', 'length = its row count', true), dense('sizeOf', 'length = its last size', true)],
  outputs: [dense('value', 'the parameter')],
  random: true,
  variability: parameter,
  infer(f, i, ctx) {
    const n = f.length > 0 ? f.length : i.like ? i.like.shape[0]! : i.sizeOf ? (i.sizeOf.shape.at(-1) ?? 1) : -2;
    if (n === -2) throw new NodeIssue("length is 0 but neither 'like' nor 'sizeOf' is connected: set length or connect one", { port: 'like' });
    return { value: shapeOf('dense', [n], resolveDtype(f.dtype, ctx.training)) };
  },
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const stream = streamOf(ctx.node);
    return {
      createParameter: (inp, pc) => {
        const n = f.length > 0 ? f.length : inp.like ? (inp.like as CsrMatrix).rows : ((inp.sizeOf as Tensor).shape.at(-1) ?? 1);
        return initTensor([n], f, dtype, () => pc.generator(stream));
      },
      evaluate: (_i, pc) => ({ value: value(pc) }),
    };
  },
});

defineKind({
  kind: 'dense-parameter',
  category: 'parameters',
  title: 'Dense matrix parameter',
  description: "A learnable rows×cols weight matrix W (e.g. a GCN layer). rows 0: the columns of the matrix on 'rowsOf' (so that M·W is defined); cols 0: the last size of 'colsOf'.",
  fields: z.object({
    rows: z.int().min(0).max(100_000_000).default(0),
    cols: z.int().min(0).max(100_000_000).default(16),
    ...InitFields,
    init: InitFields.init.default('glorot'),
  }),
  inputs: [sparse('rowsOf', 'rows = its column count', true), dense('colsOf', 'cols = its last size', true)],
  outputs: [dense('value', 'the rows×cols parameter')],
  random: true,
  variability: parameter,
  infer(f, i, ctx) {
    const rows = f.rows > 0 ? f.rows : i.rowsOf ? i.rowsOf.shape[1]! : -2;
    const cols = f.cols > 0 ? f.cols : i.colsOf ? (i.colsOf.shape.at(-1) ?? 1) : -2;
    if (rows === -2) throw new NodeIssue("rows is 0 but 'rowsOf' is not connected", { field: 'rows' });
    if (cols === -2) throw new NodeIssue("cols is 0 but 'colsOf' is not connected", { field: 'cols' });
    return { value: shapeOf('dense', [rows, cols], resolveDtype(f.dtype, ctx.training)) };
  },
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const stream = streamOf(ctx.node);
    return {
      createParameter: (inp, pc) => {
        const rows = f.rows > 0 ? f.rows : (inp.rowsOf as CsrMatrix).cols;
        const cols = f.cols > 0 ? f.cols : ((inp.colsOf as Tensor).shape.at(-1) ?? 1);
        return initTensor([rows, cols], f, dtype, () => pc.generator(stream));
      },
      evaluate: (_i, pc) => ({ value: value(pc) }),
    };
  },
});

const PATTERNS = ['like', 'diagonal', 'lower bidiagonal', 'upper bidiagonal', 'tridiagonal', 'lower triangle', 'upper triangle'] as const;

defineKind({
  kind: 'sparse-parameter',
  category: 'parameters',
  title: 'Sparse parameter',
  description:
    "A learnable sparse matrix on a fixed pattern: the pattern of the matrix on 'like' (masked, O(nnz)), its diagonal, a band, or its lower/upper triangle. Gradients keep the pattern.",
  fields: z.object({
    pattern: z.enum(PATTERNS).default('like'),
    diagonal: z.number().default(1).describe('initial value of the diagonal entries'),
    offDiagonal: z.number().default(0).describe('initial value of the other entries'),
    dtype: dtypeField(),
  }),
  inputs: [sparse('like', 'the matrix whose size (and pattern) the parameter follows')],
  outputs: [sparse('value', 'the parameter')],
  variability: parameter,
  infer(f, i, ctx) {
    const like = need(i, 'like');
    if (f.pattern !== 'like' && like.shape[0] !== like.shape[1]) throw new NodeIssue(`pattern '${f.pattern}' needs a square matrix but 'like' is ${like.shape.join('×')}`, { port: 'like' });
    return { value: shapeOf('sparse', like.shape.slice(), resolveDtype(f.dtype, ctx.training)) };
  },
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    return {
      createParameter(inp) {
        const A = (inp.like as CsrMatrix).detach();
        const n = A.rows;
        let P: CsrMatrix;
        switch (f.pattern) {
          case 'like':
            P = A;
            break;
          case 'diagonal':
            P = eye(n, { dtype });
            break;
          case 'lower bidiagonal':
            P = n > 1 ? diags([1, 1], [0, -1], [n, n], { dtype }) : eye(n, { dtype });
            break;
          case 'upper bidiagonal':
            P = n > 1 ? diags([1, 1], [0, 1], [n, n], { dtype }) : eye(n, { dtype });
            break;
          case 'tridiagonal':
            P = n > 1 ? diags([1, 1, 1], [-1, 0, 1], [n, n], { dtype }) : eye(n, { dtype });
            break;
          case 'lower triangle':
            P = tril(A);
            break;
          case 'upper triangle':
            P = triu(A);
            break;
        }
        const { indptr, indices } = P.pattern.raw;
        const values = new Float64Array(P.nnz);
        let diagonalEntries = 0;
        for (let i = 0; i < P.rows; i++) {
          for (let q = indptr[i]!; q < indptr[i + 1]!; q++) {
            const d = indices[q] === i;
            if (d) diagonalEntries++;
            values[q] = d ? f.diagonal : f.offDiagonal;
          }
        }
        if ((f.pattern === 'lower triangle' || f.pattern === 'upper triangle') && diagonalEntries < n) {
          throw new NodeIssue(`'${f.pattern}' needs every diagonal entry of 'like' stored, but ${n - diagonalEntries} are missing`, { field: 'pattern' });
        }
        return P.withValues(values, { dtype, requiresGrad: true });
      },
      evaluate: (_i, pc) => ({ value: value(pc) }),
    };
  },
});

defineKind({
  kind: 'diffusion-parameter',
  category: 'parameters',
  title: 'Diffusion operator A(κ)',
  description:
    'A learnable coefficient field κ on an nx×ny grid and the 5-point operator −∇·(κ∇) it assembles (Dirichlet boundary, face weights the mean of the two cells), differentiable in κ.',
  fields: z.object({
    nx: z.int().min(1).max(10_000).default(32),
    ny: z.int().min(1).max(10_000).default(32),
    init: z.number().default(1).describe('initial κ in every cell'),
    scale: z.enum(['none', 'h2']).default('h2').describe("'h2': divide by h² with h = 1/(n+1) (a discretised PDE); 'none': grid units"),
    dtype: dtypeField(),
  }),
  inputs: [],
  outputs: [sparse('A', 'the (nx·ny)×(nx·ny) operator A(κ)'), dense('kappa', 'κ, one value per cell (nx fastest)')],
  variability: parameter,
  infer(f, _i, ctx) {
    const n = f.nx * f.ny;
    const dt = resolveDtype(f.dtype, ctx.training);
    return { A: shapeOf('sparse', [n, n], dt), kappa: shapeOf('dense', [n], dt) };
  },
  build(f, ctx) {
    const dtype = resolveDtype(f.dtype, ctx.training);
    const assemble = diffusionPattern(f.nx, f.ny, f.scale, dtype);
    return {
      createParameter: () => full([f.nx * f.ny], f.init, { dtype, requiresGrad: true }),
      evaluate: (_i, pc) => {
        const kappa = value(pc) as Tensor;
        return { A: assembleDiffusion2d(assemble, kappa), kappa };
      },
    };
  },
});

