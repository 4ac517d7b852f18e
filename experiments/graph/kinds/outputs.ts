// Outputs: measurements that do not enter the objective (metrics per epoch,
// vectors after the last step) and the charts the result's views are drawn from.
import { z } from 'zod';
import { type CsrMatrix, div, gatherRows, noGrad, norm, reshape, spmv, sub, type Tensor, tensor } from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, index, need, NodeIssue, sameSize, shapeOf, showShape, sparse } from '../catalogue.js';
import { cgShapes, pcgResiduals } from './iteration.js';

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;

const pass = (d: 'train' | 'eval' | 'final') =>
  z
    .enum(['train', 'eval', 'final'])
    .default(d)
    .describe("'train': each epoch, in the training pass (before the step); 'eval': each epoch after the step, dropout off; 'final': once, after the last step");

const value = [dense('value', 'the measurement')];

defineKind({
  kind: 'accuracy',
  category: 'outputs',
  title: 'Accuracy',
  description: 'The fraction of the selected rows whose largest logit is their label (e.g. on the train, validation or test nodes).',
  fields: z.object({ pass: pass('eval') }),
  inputs: [dense('logits', 'n×C'), index('labels', 'class per row'), index('rows', 'rows to count (absent: all)', true)],
  outputs: value,
  output: (f) => ({ pass: f.pass }),
  infer: (_f, i) => {
    const x = need(i, 'logits');
    const l = need(i, 'labels');
    if (x.shape.length !== 2) throw new NodeIssue(`logits must be n×C but are ${showShape(x.shape)}`, { port: 'logits' });
    if (!sameSize(l.shape[0]!, x.shape[0]!)) throw new NodeIssue(`labels has length ${l.shape[0]} but logits has ${x.shape[0]} rows`, { port: 'labels' });
    return { value: shapeOf('dense', [], 'float64') };
  },
  build: () => ({
    evaluate: (i) => {
      const logits = dn(i.logits);
      const labels = i.labels as Int32Array;
      const rows = (i.rows as Int32Array | undefined) ?? Int32Array.from(labels.keys());
      const C = logits.shape[1]!;
      const d = logits.device === 'cpu' ? logits.data : logits.toArray();
      let hit = 0;
      for (const r of rows) {
        let best = 0;
        for (let c = 1; c < C; c++) if (d[r * C + c]! > d[r * C + best]!) best = c;
        if (best === labels[r]) hit++;
      }
      return { value: tensor(rows.length > 0 ? hit / rows.length : Number.NaN, { dtype: 'float64' }) };
    },
  }),
});

defineKind({
  kind: 'relative-residual',
  category: 'outputs',
  title: 'Relative residual',
  description: '‖b − A x‖/‖b‖ of an iterate, or the last entry of a residual history (e.g. a CG block’s residuals).',
  fields: z.object({ pass: pass('train') }),
  inputs: [dense('residuals', 'a history r_1 … r_N (use this, or A, x and b)', true), sparse('A', 'n×n', true), dense('x', 'iterate (n)', true), dense('b', 'right-hand side (n)', true)],
  outputs: value,
  output: (f) => ({ pass: f.pass }),
  infer: (_f, i) => {
    if (i.residuals) {
      if (i.residuals.shape.length !== 1) throw new NodeIssue(`residuals must be a vector but is ${showShape(i.residuals.shape)}`, { port: 'residuals' });
      return { value: shapeOf('dense', [], i.residuals.dtype) };
    }
    const A = need(i, 'A');
    const x = need(i, 'x');
    const b = need(i, 'b');
    if (x.shape.length !== 1 || !sameSize(x.shape[0]!, A.shape[1]!)) throw new NodeIssue(`x is ${showShape(x.shape)} but A is ${showShape(A.shape)}`, { port: 'x' });
    if (b.shape.length !== 1 || !sameSize(b.shape[0]!, A.shape[0]!)) throw new NodeIssue(`b is ${showShape(b.shape)} but A is ${showShape(A.shape)}`, { port: 'b' });
    return { value: shapeOf('dense', [], commonDtype('relative-residual', ['A', A], ['x', x])) };
  },
  build: () => {
    let last: Int32Array | null = null;
    return {
      evaluate: (i) => {
        if (i.residuals) {
          const r = dn(i.residuals);
          // The index array kept: on a device its selection matrix is made once.
          if (last?.[0] !== r.shape[0]! - 1) last = Int32Array.of(r.shape[0]! - 1);
          return { value: reshape(gatherRows(r, last), []) };
        }
        const b = dn(i.b);
        return { value: div(norm(sub(b, spmv(sp(i.A), dn(i.x)))), norm(b)) };
      },
    };
  },
});

defineKind({
  kind: 'residual-history',
  category: 'outputs',
  title: 'Residual history',
  description:
    '‖r_i‖/‖b‖ for i = 0 … N iterations of CG (or PCG when M is wired) from x₀ = 0, stopping once below `stopBelow` (Fig. 8). Measured after the last step.',
  fields: z.object({
    iterations: z.int().min(1).max(100_000).default(20),
    stopBelow: z.number().min(0).default(1e-15).describe('stop once the relative residual is below this (converged)'),
    pass: pass('final'),
  }),
  inputs: [sparse('A', 'n×n SPD matrix'), dense('b', 'right-hand side (n)'), sparse('M', 'preconditioner (applied as M r)', true)],
  outputs: [dense('value', 'relative residual after i = 0, 1, … iterations (i = 0 is 1)')],
  output: (f) => ({ pass: f.pass }),
  infer: (f, i) => ({ value: shapeOf('dense', [f.iterations + 1], cgShapes(i).dtype) }),
  build: (f) => ({
    evaluate: (i) =>
      noGrad(() => {
        const M = i.M ? sp(i.M) : null;
        const { residuals } = pcgResiduals(sp(i.A), dn(i.b), M ? (r) => spmv(M, r) : null, f.iterations, f.stopBelow);
          const b = dn(i.b);
        return { value: tensor([1, ...residuals.map((t) => t.item())], { dtype: b.dtype }) };
      }),
  }),
});

defineKind({
  kind: 'metric',
  category: 'outputs',
  title: 'Metric',
  description: 'Reports a value: a scalar as is, a tensor by its norm, mean, min or max, or (reduce none) a vector as a series after the last step.',
  fields: z.object({ reduce: z.enum(['value', 'norm', 'mean', 'min', 'max', 'none']).default('value'), pass: pass('train') }),
  inputs: [dense('x', 'the measured tensor')],
  outputs: value,
  output: (f) => ({ pass: f.pass }),
  infer: (f, i) => {
    const x = need(i, 'x');
    if (f.reduce === 'value' && x.shape.length !== 0) throw new NodeIssue(`reduce 'value' takes a scalar but x is ${showShape(x.shape)} (choose norm, mean, min, max or none)`, { field: 'reduce' });
    return { value: shapeOf('dense', f.reduce === 'none' ? x.shape.slice() : [], x.dtype) };
  },
  build: (f) => ({
    evaluate: (i) => {
      const x = dn(i.x);
      if (f.reduce === 'value' || f.reduce === 'none') return { value: x };
      if (f.reduce === 'norm') return { value: norm(x) };
      const d = x.toArray();
      let v = f.reduce === 'mean' ? 0 : d[0] ?? Number.NaN;
      for (const e of d) v = f.reduce === 'mean' ? v + e : f.reduce === 'min' ? Math.min(v, e) : Math.max(v, e);
      return { value: tensor(f.reduce === 'mean' ? v / d.length : v, { dtype: x.dtype }) };
    },
  }),
});

defineKind({
  kind: 'relative-error',
  category: 'outputs',
  title: 'Relative error',
  description: '‖x − t‖/‖t‖ against a known truth t (e.g. a recovered coefficient field).',
  fields: z.object({ pass: pass('final') }),
  inputs: [dense('x', 'estimate'), dense('truth', 'the truth, shaped as x')],
  outputs: value,
  output: (f) => ({ pass: f.pass }),
  infer: (_f, i) => {
    const x = need(i, 'x');
    const t = need(i, 'truth');
    if (x.shape.length !== t.shape.length || x.shape.some((d, k) => !sameSize(d, t.shape[k]!))) throw new NodeIssue(`x is ${showShape(x.shape)} but truth is ${showShape(t.shape)}`, { port: 'truth' });
    return { value: shapeOf('dense', [], commonDtype('relative-error', ['x', x], ['truth', t])) };
  },
  build: () => ({ evaluate: (i) => ({ value: div(norm(sub(dn(i.x), dn(i.truth))), norm(dn(i.truth))) }) }),
});

// ---------------------------------------------------------------------------
// Views

export const ChartFields = z.object({
  chart: z.enum(['lines', 'bars']).default('lines'),
  title: z.string().default('Chart'),
  x: z
    .enum(['index', 'epoch', 'run'])
    .default('index')
    .describe("'index': vectors after the last step (run 0); 'epoch': scalars per epoch (run 0, before each step); 'run': scalars after the last step, one per run"),
  xLabel: z.string().default(''),
  yLabel: z.string().default(''),
  logY: z.boolean().default(false),
  names: z.array(z.string()).max(4).default([]).describe('series names, in input order (default: the source node ids)'),
});

defineKind({
  kind: 'chart',
  category: 'outputs',
  title: 'Chart',
  description: 'A figure in the result (lines or bars) of up to four series: vectors after the last step, scalars per epoch, or scalars per run.',
  fields: ChartFields,
  inputs: [dense('s1', 'series 1'), dense('s2', 'series 2', true), dense('s3', 'series 3', true), dense('s4', 'series 4', true)],
  outputs: [],
  infer: (f, i) => {
    for (const p of ['s1', 's2', 's3', 's4'] as const) {
      const s = i[p];
      if (!s) continue;
      if (f.x === 'index' && s.shape.length !== 1) throw new NodeIssue(`x 'index' draws vectors but ${p} is ${showShape(s.shape)}`, { port: p });
      if (f.x !== 'index' && s.shape.length !== 0) throw new NodeIssue(`x '${f.x}' draws scalars but ${p} is ${showShape(s.shape)}`, { port: p });
    }
    return {};
  },
  build: () => ({ evaluate: () => ({}) }),
});

export const HeatmapFields = z.object({
  title: z.string().default('Heatmap'),
  width: z.int().min(1).max(100_000).default(32),
  height: z.int().min(1).max(100_000).default(32),
});

defineKind({
  kind: 'heatmap',
  category: 'outputs',
  title: 'Heatmap',
  description: 'A figure in the result: a vector of width·height values (row-major, width fastest) after the last step, drawn as a grid.',
  fields: HeatmapFields,
  inputs: [dense('values', 'width·height values')],
  outputs: [],
  infer: (f, i) => {
    const v = need(i, 'values');
    const size = v.shape.reduce((a, d) => (a < 0 || d < 0 ? -1 : a * d), 1);
    if (size >= 0 && size !== f.width * f.height) throw new NodeIssue(`values has ${size} entries (${showShape(v.shape)}) but a ${f.width}×${f.height} heatmap needs ${f.width * f.height}`, { port: 'values' });
    return {};
  },
  build: () => ({ evaluate: () => ({}) }),
});
