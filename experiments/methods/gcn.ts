// §4.4: a two-layer GCN (Kipf & Welling) for node classification:
//   X⁽ⁱ⁺¹⁾ = Â X⁽ⁱ⁾ Θ⁽ⁱ⁺¹⁾,  Â = D̃^-½ (A + I) D̃^-½                      (29)
// computed right to left as sparse–dense products (SpDMM), the sparse features
// included: logits = Â (dropout(relu(Â (X W1))) W2), cross-entropy on the
// training nodes. Â and the row-normalised features are built once with sparse
// ops (Sp+Sp, SpMV, SpGEMM with diagonal matrices); nothing is densified.
import {
  add,
  astype,
  crossEntropy,
  type CsrMatrix,
  diags,
  dropout,
  matmul,
  noGrad,
  ones,
  rand,
  relu,
  spadd,
  spdmm,
  spgemm,
  spmv,
  type Tensor,
  zeros,
} from '../../native/lib/index.js';
import { type CompileOptions, defaultDataDir, generatorFor, leafOn, makeOptimizer, place, STREAM } from '../compile/common.js';
import { band, type CompiledMethod, meanStd } from '../compile/method.js';
import { type Graph, loadGraph } from '../data/graph.js';
import type { GcnSeries, GcnSummary } from '../runner/types.js';
import type { DenseParameter, GcnMethod, GraphSource, ProblemSpec } from '../spec/types.js';

/** Â = D̃^-½ (A + S + I) D̃^-½, S the raw self-loops when kept ('kipf'). */
export function normalizedAdjacency(graph: Graph, selfLoops: 'kipf' | 'none'): CsrMatrix {
  return noGrad(() => {
    const n = graph.nodes;
    const diag = new Float64Array(n).fill(1);
    if (selfLoops === 'kipf') for (const i of graph.selfLoops) diag[i]! += 1;
    const At = spadd(graph.adjacency, diags([diag], [0], [n, n])); // Ã = A + I (+ S)
    const deg = spmv(At, ones([n])).data;
    const dinv = Float64Array.from(deg, (x) => (x > 0 ? 1 / Math.sqrt(x) : 0));
    const Dm = diags([dinv], [0], [n, n]);
    return spgemm(spgemm(Dm, At), Dm);
  });
}

/** Each feature row divided by its sum (empty rows stay empty), as Kipf's preprocess_features. */
export function rowNormalized(X: CsrMatrix): CsrMatrix {
  return noGrad(() => {
    const sums = spmv(X, ones([X.cols])).data;
    const inv = Float64Array.from(sums, (s) => (s !== 0 ? 1 / s : 0));
    return spgemm(diags([inv], [0], [X.rows, X.rows]), X);
  });
}

function accuracy(logits: Tensor, labels: Int32Array, rows: Int32Array): number {
  const C = logits.shape[1]!;
  const d = logits.device === 'cpu' ? logits.data : logits.toArray();
  let hit = 0;
  for (const r of rows) {
    let best = 0;
    for (let c = 1; c < C; c++) if (d[r * C + c]! > d[r * C + best]!) best = c;
    if (best === labels[r]) hit++;
  }
  return rows.length > 0 ? hit / rows.length : Number.NaN;
}

function frobenius(t: Tensor): number {
  const d = t.device === 'cpu' ? t.data : t.toArray();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return Math.sqrt(s);
}

export async function compileGcn(spec: ProblemSpec, opts: CompileOptions): Promise<CompiledMethod<GcnSeries, GcnSummary>> {
  const method = spec.method as GcnMethod;
  const source = spec.matrix as GraphSource;
  const dtype = spec.dtype;
  const graph = await loadGraph(source, opts.dataDir ?? defaultDataDir());
  const device = spec.device;
  const Ahat = place(astype(normalizedAdjacency(graph, source.selfLoops), dtype), device);
  const X = place(astype(method.normalizeFeatures === 'row' ? rowNormalized(graph.features) : graph.features, dtype), device);
  const { labels, split } = graph;
  const F = X.cols;
  const H = method.hidden;
  const C = graph.classes;
  if (C < 2) throw new Error(`gcn: the graph ${graph.name} has ${C} class(es); classification needs at least 2`);
  const shapes: Record<string, number[]> = { W1: [F, H], W2: [H, C], b1: [H], b2: [C] };

  return {
    createRun(_run, seed) {
      const init = generatorFor(seed, STREAM.init);
      const drop = generatorFor(seed, STREAM.dropout);
      const params: Record<string, Tensor> = {};
      for (const [name, p] of Object.entries(spec.parameters) as [string, DenseParameter][]) {
        const shape = shapes[name]!;
        if (p.init === 'zeros' || shape.length === 1) {
          params[name] = leafOn(zeros(shape, { dtype, requiresGrad: true }), device);
        } else {
          const r = Math.sqrt(6 / (shape[0]! + shape[1]!)); // Glorot uniform
          params[name] = leafOn(rand(shape, { low: -r, high: r, generator: init, dtype, requiresGrad: true }), device);
        }
      }
      const { W1, W2, b1, b2 } = params as { W1: Tensor; W2: Tensor; b1?: Tensor; b2?: Tensor };
      const optimizer = makeOptimizer(spec.optimizer, params);

      const forward = (training: boolean): Tensor => {
        const Xd = training && method.inputDropout > 0 ? X.withValues(dropout(X.values, method.inputDropout, { generator: drop })) : X;
        let h = spdmm(Ahat, spdmm(Xd, W1));
        if (b1) h = add(h, b1);
        h = relu(h);
        if (training && method.dropout > 0) h = dropout(h, method.dropout, { generator: drop });
        let out = spdmm(Ahat, matmul(h, W2));
        if (b2) out = add(out, b2);
        return out;
      };
      let last = { trainAccuracy: Number.NaN, valAccuracy: Number.NaN, testAccuracy: Number.NaN };

      return {
        epoch() {
          optimizer.zeroGrad();
          const loss = crossEntropy(forward(true), labels, split.train);
          const value = loss.item();
          const parameters = { W1Norm: frobenius(W1), W2Norm: frobenius(W2) };
          loss.backward();
          optimizer.step();
          const logits = noGrad(() => forward(false));
          last = {
            trainAccuracy: accuracy(logits, labels, split.train),
            valAccuracy: accuracy(logits, labels, split.val),
            testAccuracy: accuracy(logits, labels, split.test),
          };
          return { losses: { train: value }, metrics: { ...last }, parameters };
        },
        dispose() {
          optimizer.dispose();
        },
        finish() {
          return { ...last };
        },
      };
    },

    assemble(epochs, runs) {
      const series: GcnSeries = {
        loss: band(epochs, (r) => r.losses.train),
        trainAccuracy: band(epochs, (r) => r.metrics.trainAccuracy),
        valAccuracy: band(epochs, (r) => r.metrics.valAccuracy),
        testAccuracy: band(epochs, (r) => r.metrics.testAccuracy),
      };
      const test = meanStd(runs.map((r) => r.final.testAccuracy as number));
      return {
        series,
        summary: {
          testAccuracyMean: test.mean,
          testAccuracyStd: test.std,
          runs: runs.length,
          epochs: epochs[0]?.length ?? 0,
          secondsPerRun: runs.reduce((a, r) => a + r.seconds, 0) / Math.max(1, runs.length),
        },
      };
    },
  };
}
