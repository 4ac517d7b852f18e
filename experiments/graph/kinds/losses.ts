// Losses: each a scalar. The objective is the sum of the losses whose role is
// 'objective'; a 'monitor' loss (e.g. the heavyball test loss) is evaluated
// without gradients and reported beside it.
import { z } from 'zod';
import { add, crossEntropy, nllLoss, type CsrMatrix, div, gatherRows, mean, mul, neg, reshape, sqrt, sub, sum, type Tensor } from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, index, need, NodeIssue, type PortShape, sameSize, shapeOf, showShape, sparse } from '../catalogue.js';
import { rhsLike } from './iteration.js';
import { applySparse } from './sparse-ops.js';

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;

const role = z.enum(['objective', 'monitor']).default('objective').describe("'objective': minimised (summed with the other objective losses); 'monitor': only reported");
const weight = z.number().min(0).default(1).describe('the loss enters the objective times this weight');
const reduction = z.enum(['sum', 'mean']).default('sum').describe("over the K columns of a block: 'mean' divides by K");

const scalar = (dtype: PortShape['dtype']): { loss: PortShape } => ({ loss: shapeOf('dense', [], dtype) });
const weighted = (t: Tensor, w: number): Tensor => (w === 1 ? t : mul(t, w));
const lossOut = [dense('loss', 'the loss (a scalar)')];

function solverShapes(i: Record<string, PortShape | undefined>): PortShape {
  const A = need(i, 'A');
  const X = need(i, 'x');
  if (X.shape.length < 1 || X.shape.length > 2) throw new NodeIssue(`x must be a vector or an n×K block but is ${showShape(X.shape)}`, { port: 'x' });
  if (!sameSize(X.shape[0]!, A.shape[1]!)) throw new NodeIssue(`input x has ${X.shape[0]} rows but A has ${A.shape[1]} columns (A is ${showShape(A.shape)})`, { port: 'x' });
  const b = i.b;
  const column = b && X.shape.length === 2 && b.shape.length === 1 && sameSize(b.shape[0]!, X.shape[0]!);
  if (b && !column && (b.shape.length !== X.shape.length || b.shape.some((d, k) => !sameSize(d, X.shape[k]!)))) throw new NodeIssue(`b is ${showShape(b.shape)} but x is ${showShape(X.shape)}`, { port: 'b' });
  return { ...X, dtype: commonDtype('loss', ['A', A], ['x', X]) };
}

const columns = (Y: Tensor): number => (Y.ndim === 2 ? Y.shape[1]! : 1);

defineKind({
  kind: 'energy-loss',
  category: 'losses',
  title: 'Energy  Σ xᵀAx',
  description: 'Σ_k x_kᵀ A x_k over the columns of x: the squared A-norm of the error when b = 0 (eqs. 21, 25).',
  fields: z.object({ reduction, role, weight }),
  inputs: [sparse('A', 'n×n SPD matrix'), dense('x', 'iterate(s): n or n×K')],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => scalar(solverShapes(i).dtype),
  build: (f) => ({
    evaluate: (i) => {
      const Y = dn(i.x);
      const total = sum(mul(Y, applySparse(sp(i.A), Y)));
      return { loss: weighted(f.reduction === 'mean' ? div(total, columns(Y)) : total, f.weight) };
    },
  }),
});

defineKind({
  kind: 'residual-loss',
  category: 'losses',
  title: 'Residual  Σ‖b − Ax‖²',
  description: "Σ_k ‖b − A x_k‖² over the columns of x ('squared'), or its square root ('norm'); b = 0 when not wired.",
  fields: z.object({ form: z.enum(['squared', 'norm']).default('squared'), reduction, role, weight }),
  inputs: [sparse('A', 'n×n matrix'), dense('x', 'iterate(s): n or n×K'), dense('b', 'right-hand side: shaped as x, or one vector for all columns', true)],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => scalar(solverShapes(i).dtype),
  build: (f) => ({
    evaluate: (i) => {
      const Y = dn(i.x);
      const AY = applySparse(sp(i.A), Y);
      const R = i.b ? sub(rhsLike(dn(i.b), Y), AY) : neg(AY);
      let total = sum(mul(R, R));
      if (f.form === 'norm') total = sqrt(total);
      return { loss: weighted(f.reduction === 'mean' ? div(total, columns(Y)) : total, f.weight) };
    },
  }),
});

/** Eq. (28)'s weights γ^(N−i) / Σ_j γ^(N−j), i = 1 … N. */
export function residualWeights(gamma: number, n: number): number[] {
  const w = Array.from({ length: n }, (_, k) => gamma ** (n - 1 - k));
  const s = w.reduce((a, x) => a + x, 0);
  return w.map((x) => x / s);
}

defineKind({
  kind: 'weighted-residual-loss',
  category: 'losses',
  title: 'Weighted residual history',
  description: 'Eq. (28): Σ_i γ^(N−i) / Σ_j γ^(N−j) · r_i over a history of relative residuals r_1 … r_N (e.g. from a CG block), favouring the last iterations.',
  fields: z.object({ gamma: z.number().gt(0).max(1e6).default(0.6), role, weight }),
  inputs: [dense('residuals', 'r_1 … r_N')],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => {
    const r = need(i, 'residuals');
    if (r.shape.length !== 1) throw new NodeIssue(`residuals must be a vector but is ${showShape(r.shape)}`, { port: 'residuals' });
    return scalar(r.dtype);
  },
  build: (f) => {
    const picks: Int32Array[] = [];
    return {
    evaluate: (i) => {
      const r = dn(i.residuals);
      const n = r.shape[0]!;
      const w = residualWeights(f.gamma, n);
      // Summed term by term in order (each r_i a scalar), as the sum is written. One index
      // array per entry, kept: on a device its selection matrix is made once.
      const at = (k: number): Tensor => reshape(gatherRows(r, (picks[k] ??= Int32Array.of(k))), []);
      let total: Tensor = mul(at(0), w[0]!);
      for (let k = 1; k < n; k++) total = add(total, mul(at(k), w[k]!));
      return { loss: weighted(total, f.weight) };
    },
    };
  },
});

defineKind({
  kind: 'mse-loss',
  category: 'losses',
  title: 'MSE  mean (x − t)²',
  description: "The mean (or sum) of squared differences between x and a target of x's shape.",
  fields: z.object({ reduction: z.enum(['mean', 'sum']).default('mean'), role, weight }),
  inputs: [dense('x', 'prediction'), dense('target', 'target, shaped as x')],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => {
    const x = need(i, 'x');
    const t = need(i, 'target');
    if (x.shape.length !== t.shape.length || x.shape.some((d, k) => !sameSize(d, t.shape[k]!))) throw new NodeIssue(`x is ${showShape(x.shape)} but target is ${showShape(t.shape)}`, { port: 'target' });
    return scalar(commonDtype('mse', ['x', x], ['target', t]));
  },
  build: (f) => ({
    evaluate: (i) => {
      const d = sub(dn(i.x), dn(i.target));
      const sq = mul(d, d);
      return { loss: weighted(f.reduction === 'mean' ? mean(sq) : sum(sq), f.weight) };
    },
  }),
});

defineKind({
  kind: 'cross-entropy-loss',
  category: 'losses',
  title: 'Cross-entropy',
  description: 'Mean of −log softmax(logits)[label] over the selected rows (e.g. the training nodes), PyTorch’s cross_entropy(logits[rows], labels[rows]).',
  fields: z.object({ role, weight }),
  inputs: [dense('logits', 'n×C'), index('labels', 'class per row (length n)'), index('rows', 'rows to average over (absent: all)', true)],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => {
    const x = need(i, 'logits');
    const l = need(i, 'labels');
    if (x.shape.length !== 2) throw new NodeIssue(`logits must be n×C but are ${showShape(x.shape)}`, { port: 'logits' });
    if (!sameSize(l.shape[0]!, x.shape[0]!)) throw new NodeIssue(`labels has length ${l.shape[0]} but logits has ${x.shape[0]} rows`, { port: 'labels' });
    return scalar(x.dtype);
  },
  build: (f) => ({ evaluate: (i) => ({ loss: weighted(crossEntropy(dn(i.logits), i.labels as Int32Array, i.rows as Int32Array | undefined), f.weight) }) }),
});

defineKind({
  kind: 'nll-loss',
  category: 'losses',
  title: 'Negative log-likelihood',
  description: 'Mean of −logp[row, label] over the selected rows, for log-probabilities (e.g. from a log-softmax node).',
  fields: z.object({ role, weight }),
  inputs: [dense('logp', 'n×C log-probabilities'), index('labels', 'class per row (length n)'), index('rows', 'rows to average over (absent: all)', true)],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => {
    const x = need(i, 'logp');
    const l = need(i, 'labels');
    if (x.shape.length !== 2) throw new NodeIssue(`logp must be n×C but is ${showShape(x.shape)}`, { port: 'logp' });
    if (!sameSize(l.shape[0]!, x.shape[0]!)) throw new NodeIssue(`labels has length ${l.shape[0]} but logp has ${x.shape[0]} rows`, { port: 'labels' });
    return scalar(x.dtype);
  },
  build: (f) => ({ evaluate: (i) => ({ loss: weighted(nllLoss(dn(i.logp), i.labels as Int32Array, i.rows as Int32Array | undefined), f.weight) }) }),
});

defineKind({
  kind: 'sum-loss',
  category: 'losses',
  title: 'Σ x (as a loss)',
  description: 'The sum of all entries of a tensor, minimised (a scalar passes through): how any computed quantity becomes a loss.',
  fields: z.object({ role, weight }),
  inputs: [dense('x', 'tensor')],
  outputs: lossOut,
  lossRole: (f) => f.role,
  infer: (_f, i) => scalar(need(i, 'x').dtype),
  build: (f) => ({ evaluate: (i) => ({ loss: weighted(dn(i.x).ndim === 0 ? dn(i.x) : sum(dn(i.x)), f.weight) }) }),
});
