// Every node kind of the core catalogue, built and evaluated on its own
// (buildKind), against a dense or hand-worked reference; gradients of the
// differentiable blocks against float64 finite differences (gradcheck); and a
// whole graph whose probes record what flowed on each edge in the last epoch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildKind, evaluateKind, type Value } from '../../experiments/graph/catalogue.js';
import { nodeCatalogue, runGraph, type Graph } from '../../experiments/graph/index.js';
import { CsrMatrix, gradcheck, poisson1d, poisson2d, type Tensor, tensor } from '../../native/lib/index.js';
import { assertClose, denseMatmul, denseOf, randomCsr, sharedData } from '../helpers.js';

const covered = new Set<string>();
async function run(kind: string, fields: Record<string, unknown>, inputs: Record<string, Value>, opts: Parameters<typeof evaluateKind>[3] = {}): Promise<Record<string, Value>> {
  covered.add(kind);
  return evaluateKind(kind, fields, inputs, opts);
}
const arr = (v: Value | undefined): number[] => Array.from((v as Tensor).toArray());
const mat = (v: Value | undefined): number[][] => denseOf(v as CsrMatrix);
const t = (x: number[] | number[][] | number): Tensor => tensor(x);
const matvec = (A: number[][], x: number[]): number[] => A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));

// A 5×5 nonsymmetric matrix with a full diagonal, and vectors.
const R = randomCsr(5, 5, { seed: 3, density: 0.4, diagonal: 4 });
const Rd = denseOf(R);
const x5 = [0.5, -1, 2, 0.25, 1.5];
const y5 = [1, 2, -0.5, 3, -2];

describe('sources', () => {
  it('generators, files, vectors, blocks and random matrices', async () => {
    assert.deepEqual(mat((await run('poisson1d', { n: 4 }, {})).A), denseOf(poisson1d(4)));
    assert.deepEqual(mat((await run('poisson2d', { nx: 3, ny: 2 }, {})).A), denseOf(poisson2d(3, 2)));
    const bc = (await run('matrix-file', { path: 'matrices/bcsstk01.mtx' }, {}, { dataDir: sharedData() })).A as CsrMatrix;
    assert.deepEqual(bc.shape, [48, 48]);
    assert.deepEqual(arr((await run('vector', { fill: 'linear', length: 6, period: 3 }, {})).b), [-0.5, 0, 0.5, -0.5, 0, 0.5]);
    assert.deepEqual(arr((await run('vector', { fill: 'constant', value: 2, length: 2, columns: 3 }, {})).b), [2, 2, 2, 2, 2, 2]);
    assert.deepEqual((await run('vector', { fill: 'ones' }, { like: R })).b && arr((await run('vector', { fill: 'ones' }, { like: R })).b), [1, 1, 1, 1, 1]);
    // Random draws: the same (seed, stream) gives the same numbers, another seed others.
    const a = arr((await run('random-block', { rows: 4, count: 3, stream: 9 }, {}, { seed: 1 })).X);
    const b = arr((await run('random-block', { rows: 4, count: 3, stream: 9 }, {}, { seed: 1 })).X);
    const c = arr((await run('random-block', { rows: 4, count: 3, stream: 9 }, {}, { seed: 2 })).X);
    assert.equal(a.length, 12);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(arr((await run('vector', { fill: 'random', length: 5 }, {}, { seed: 1 })).b).length, 5);
    assert.equal(arr((await run('scalar', { value: 3 }, {})).value)[0], 3);
    // SPD random matrix: symmetric, positive diagonal dominating its row.
    const S = denseOf((await run('random-sparse', { rows: 30, cols: 30, density: 0.1, spd: true, stream: 1 }, {})).A as CsrMatrix);
    for (let i = 0; i < 30; i++) {
      let off = 0;
      for (let j = 0; j < 30; j++) {
        assert.equal(S[i]![j], S[j]![i]);
        if (i !== j) off += Math.abs(S[i]![j]!);
      }
      assert.ok(S[i]![i]! > off);
    }
    const G = (await run('random-sparse', { rows: 200, cols: 100, density: 0.05, values: 'ones', stream: 1 }, {})).A as CsrMatrix;
    assert.ok(G.nnz > 600 && G.nnz < 1400, `nnz ${G.nnz} for density 0.05 of 20000`);
    const data = await run('graph-dataset', { path: 'citeseer' }, {}, { dataDir: sharedData() });
    assert.deepEqual((data.adjacency as CsrMatrix).shape, [3327, 3327]);
    assert.deepEqual((data.onehot as Tensor).shape, [3327, 6]);
    assert.equal((data.train as Int32Array).length, 120);
  });
});

describe('parameters', () => {
  it('initial values and shapes', async () => {
    assert.equal(arr((await run('scalar-parameter', { init: 0.3 }, {})).value)[0], 0.3);
    assert.deepEqual(arr((await run('vector-parameter', { init: 'constant', value: 2 }, { like: R })).value), [2, 2, 2, 2, 2]);
    const W = (await run('dense-parameter', { rows: 0, cols: 3, init: 'glorot', stream: 4 }, { rowsOf: R })).value as Tensor;
    assert.deepEqual(W.shape, [5, 3]);
    const r = Math.sqrt(6 / 8);
    assert.ok(arr(W).every((v) => Math.abs(v) <= r) && W.requiresGrad);
    const L = (await run('sparse-parameter', { pattern: 'lower bidiagonal', diagonal: 1, offDiagonal: 0.5 }, { like: poisson1d(3) })).value as CsrMatrix;
    assert.deepEqual(denseOf(L), [[1, 0, 0], [0.5, 1, 0], [0, 0.5, 1]]);
    const P = (await run('sparse-parameter', { pattern: 'like', diagonal: 2, offDiagonal: -1 }, { like: R })).value as CsrMatrix;
    assert.equal(P.nnz, R.nnz);
    const lt = (await run('sparse-parameter', { pattern: 'lower triangle', diagonal: 1, offDiagonal: 0 }, { like: R })).value as CsrMatrix;
    assert.ok(denseOf(lt).every((row, i) => row.every((v, j) => (j > i ? v === 0 : true))));
    // A(κ) with κ ≡ 1 on an unscaled grid is the 2-D Poisson matrix.
    const D = await run('diffusion-parameter', { nx: 3, ny: 2, init: 1, scale: 'none' }, {});
    assert.deepEqual(mat(D.A), denseOf(poisson2d(3, 2)));
  });
});

describe('sparse and structural ops', () => {
  it('agree with dense algebra', async () => {
    const B = randomCsr(5, 5, { seed: 4, density: 0.4 });
    const Bd = denseOf(B);
    assertClose(arr((await run('spmv', {}, { A: R, x: t(x5) })).y), matvec(Rd, x5), { rtol: 1e-14 });
    const X = [[1, 2], [0, 1], [3, -1], [1, 1], [-2, 0]];
    assertClose(arr((await run('spdmm', {}, { A: R, D: t(X) })).Y), denseMatmul(Rd, X).flat(), { rtol: 1e-14 });
    assertClose(mat((await run('spgemm', {}, { A: R, B })).C), denseMatmul(Rd, Bd), { rtol: 1e-14, atol: 1e-14 });
    assertClose(mat((await run('spadd', { alpha: 2, beta: -1 }, { A: R, B })).C), Rd.map((row, i) => row.map((v, j) => 2 * v - Bd[i]![j]!)), { rtol: 1e-14 });
    assertClose(mat((await run('spadd', {}, { A: R, B, alpha: t(3) })).C), Rd.map((row, i) => row.map((v, j) => 3 * v + Bd[i]![j]!)), { rtol: 1e-14 });
    const L = (await run('tril', {}, { A: R })).T as CsrMatrix;
    assert.deepEqual(denseOf(L), Rd.map((row, i) => row.map((v, j) => (j <= i ? v : 0))));
    assert.deepEqual(mat((await run('triu', { k: 1 }, { A: R })).T), Rd.map((row, i) => row.map((v, j) => (j >= i + 1 ? v : 0))));
    assertClose(matvec(denseOf(L), arr((await run('sptrsv', {}, { L, b: t(y5) })).x)), y5, { rtol: 1e-12 });
    assertClose(matvec(Rd, arr((await run('spsolve', {}, { A: R, b: t(y5) })).x)), y5, { rtol: 1e-12 });
    assert.deepEqual(mat((await run('transpose', {}, { A: R })).AT), Rd[0]!.map((_, j) => Rd.map((row) => row[j]!)));
    assert.deepEqual(arr((await run('diagonal', {}, { A: R })).d), Rd.map((row, i) => row[i]!));
    const K = mat((await run('kron', {}, { A: poisson1d(2), B: poisson1d(2) })).K);
    assert.deepEqual(K[0], [4, -2, -2, 1]);
    assert.deepEqual(mat((await run('identity', {}, { like: R })).I), Rd.map((row, i) => row.map((_, j) => (i === j ? 1 : 0))));
    assert.deepEqual(mat((await run('diag-matrix', {}, { v: t([1, 2, 3]) })).D), [[1, 0, 0], [0, 2, 0], [0, 0, 3]]);
    assert.deepEqual(arr((await run('to-dense', {}, { A: R })).D), Rd.flat());
    assert.deepEqual(mat((await run('from-dense', {}, { D: t([[0, 1], [2, 0]]) })).A), [[0, 1], [2, 0]]);
    const v = (await run('sparse-values', {}, { A: R })).values as Tensor;
    assert.equal(v.shape[0], R.nnz);
    assert.deepEqual(mat((await run('with-values', {}, { A: R, values: t(Array.from({ length: R.nnz }, () => 1)) })).B), Rd.map((row) => row.map((x) => (x !== 0 ? 1 : 0))));
    assert.equal(((await run('sparse-cast', { dtype: 'float32' }, { A: R })).B as CsrMatrix).dtype, 'float32');
    // The assembled operator: κ ≡ 1 with h² scaling is the Poisson matrix times (n+1)².
    const A = mat((await run('diffusion2d', { nx: 2, ny: 2, scale: 'h2' }, { kappa: t([1, 1, 1, 1]) })).A);
    assert.deepEqual(A, denseOf(poisson2d(2, 2)).map((row) => row.map((x) => 9 * x)));
    covered.add('normalize-adjacency').add('row-normalize'); // against hand-worked values in gcn.test.ts
  });

  it('A(κ) is differentiable in κ (finite differences), with a face between two cells weighted by their mean', async () => {
    const k = await buildKind('diffusion2d', { nx: 3, ny: 3, scale: 'none' }, { kappa: t(new Array(9).fill(1)) });
    const u = t([0.3, -1, 2, 0.5, 1, -0.5, 2, 1, 0]);
    const r = gradcheck((kappa) => ((k.evaluate({ kappa }).A as CsrMatrix).values as Tensor).mul(1), [tensor([1, 2, 3, 1.5, 0.5, 2, 1, 1, 3], { requiresGrad: true })]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
    // Entry (0, 1) is −(κ0 + κ1)/2; the diagonal of cell 0 (a corner) is κ0 on its two boundary faces plus its two inner faces' means.
    const kap = [1, 2, 3, 1.5, 0.5, 2, 1, 1, 3];
    const A = mat(k.evaluate({ kappa: t(kap) }).A);
    assert.equal(A[0]![1], -(1 + 2) / 2);
    assert.equal(A[0]![0], 2 * 1 + (1 + 2) / 2 + (1 + 1.5) / 2);
    void u;
  });
});

describe('dense ops', () => {
  it('agree with plain arithmetic', async () => {
    const a = t([1, 2, 3]);
    const b = t([4, 5, 6]);
    const ops: [string, (p: number, q: number) => number][] = [
      ['add', (p, q) => p + q],
      ['sub', (p, q) => p - q],
      ['mul', (p, q) => p * q],
      ['div', (p, q) => p / q],
      ['pow', (p, q) => p ** q],
      ['maximum', Math.max],
      ['minimum', Math.min],
    ];
    for (const [kind, f] of ops) assertClose(arr((await run(kind, {}, { a, b })).y), [0, 1, 2].map((i) => f([1, 2, 3][i]!, [4, 5, 6][i]!)), { rtol: 1e-15, msg: kind });
    const un: [string, (p: number) => number][] = [
      ['neg', (p) => -p],
      ['exp', Math.exp],
      ['log', Math.log],
      ['sqrt', Math.sqrt],
      ['abs', Math.abs],
      ['sin', Math.sin],
      ['cos', Math.cos],
      ['tanh', Math.tanh],
      ['relu', (p) => Math.max(0, p)],
      ['sigmoid', (p) => 1 / (1 + Math.exp(-p))],
    ];
    const xs = [0.5, 1, 2];
    for (const [kind, f] of un) assertClose(arr((await run(kind, {}, { x: t(xs) })).y), xs.map(f), { rtol: 1e-14, msg: kind });
    assert.deepEqual(arr((await run('scale', { factor: 2 }, { x: a })).y), [2, 4, 6]);
    const M = t([[1, 2], [3, 4]]);
    assert.deepEqual(arr((await run('sum', {}, { x: M })).y), [10]);
    assert.deepEqual(arr((await run('sum', { axis: 0 }, { x: M })).y), [4, 6]);
    assert.deepEqual(arr((await run('mean', { axis: 1 }, { x: M })).y), [1.5, 3.5]);
    assert.deepEqual(arr((await run('dot', {}, { a, b })).y), [32]);
    assertClose(arr((await run('norm', {}, { x: M })).y), [Math.sqrt(30)], { rtol: 1e-15 });
    assert.deepEqual(arr((await run('matmul', {}, { A: M, B: M })).C), [7, 10, 15, 22]);
    const sm = arr((await run('softmax', {}, { x: t([[0, Math.log(3)]]) })).y);
    assertClose(sm, [0.25, 0.75], { rtol: 1e-15 });
    assertClose(arr((await run('log-softmax', {}, { x: t([[0, Math.log(3)]]) })).y), [Math.log(0.25), Math.log(0.75)], { rtol: 1e-14 });
    assert.deepEqual(arr((await run('gather', {}, { x: M, rows: Int32Array.of(1, 1, 0) })).y), [3, 4, 3, 4, 1, 2]);
    assert.deepEqual(arr((await run('concat', {}, { a, b })).y), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(((await run('reshape', { shape: [3, -1] }, { x: t([1, 2, 3, 4, 5, 6]) })).y as Tensor).shape, [3, 2]);
    assert.deepEqual(arr((await run('dense-transpose', {}, { x: M })).y), [1, 3, 2, 4]);
    assert.equal(((await run('cast', { dtype: 'float32' }, { x: a })).y as Tensor).dtype, 'float32');
    assert.deepEqual(arr((await run('clamp', { min: 1.5, max: 2.5 }, { x: a })).y), [1.5, 2, 2.5]);
    assert.deepEqual(arr((await run('where', {}, { cond: t([1, 0, 1]), a, b })).y), [1, 5, 3]);
    const S = [[4, 1], [2, 3]];
    assertClose(matvec(S, arr((await run('dense-solve', {}, { A: t(S), b: t([1, 2]) })).x)), [1, 2], { rtol: 1e-14 });
    assertClose(arr((await run('dense-triangular-solve', {}, { L: t(S), b: t([4, 8]) })).x), [1, 2], { rtol: 1e-14 });
    // Dropout: about p zeroed and the rest scaled by 1/(1 − p) in training; the identity when evaluating.
    const ones = t(new Array(2000).fill(1));
    const d = arr((await run('dropout', { p: 0.5, stream: 1 }, { x: ones })).y);
    const kept = d.filter((v) => v !== 0);
    assert.ok(kept.every((v) => v === 2) && kept.length > 900 && kept.length < 1100, `${kept.length} kept`);
    assert.equal((await run('dropout', { p: 0.5 }, { x: ones }, { mode: 'eval' })).y, ones);
    const sd = (await run('sparse-dropout', { p: 0.5, stream: 1 }, { A: R })).B as CsrMatrix;
    assert.ok(arr(sd.values).every((v, i) => v === 0 || v === 2 * arr(R.values)[i]!));
    assert.equal((await run('sparse-dropout', { p: 0.5 }, { A: R }, { mode: 'eval' })).B, R);
  });
});

describe('iteration blocks', () => {
  const A = poisson1d(6);
  const Ad = denseOf(A);
  const x0 = [1, -1, 0.5, 2, 0, 1];
  const b = [1, 0, 1, 0, 1, 0];

  it('Jacobi sweeps: x⁺ = Ω D⁻¹ b + (I − Ω D⁻¹ A) x, and ω’s gradient by finite differences', async () => {
    const w = [0.5, 0.6, 0.7, 0.8, 0.9, 1];
    let x = x0;
    for (let s = 0; s < 2; s++) {
      const Ax = matvec(Ad, x);
      x = x.map((v, i) => v + (w[i]! / 2) * (b[i]! - Ax[i]!));
    }
    covered.add('jacobi');
    const k = await buildKind('jacobi', { sweeps: 2 }, { A, x: t(x0), omega: t(w), b: t(b) });
    assertClose(arr(k.evaluate({ A, x: t(x0), omega: t(w), b: t(b) }).y), x, { rtol: 1e-14 });
    const r = gradcheck((omega) => k.evaluate({ A, x: t(x0), omega: omega as Tensor, b: t(b) }).y as Tensor, [tensor(w, { requiresGrad: true })]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
    // b as one vector for a block of starting vectors: each column as on its own.
    const X = t(x0.map((v) => [v, 2 * v]));
    const Y = arr(k.evaluate({ A, x: X, omega: t(w), b: t(b) }).y);
    assertClose(Y.filter((_, i) => i % 2 === 0), x, { rtol: 1e-14 });
  });

  it('heavyball steps, with α and β differentiable', async () => {
    let prev = x0;
    let x = x0;
    for (let it = 0; it < 3; it++) {
      const Ax = matvec(Ad, x);
      const next = x.map((v, i) => v - 0.3 * (Ax[i]! - b[i]!) + 0.2 * (v - prev[i]!));
      prev = x;
      x = next;
    }
    covered.add('heavyball');
    const k = await buildKind('heavyball', { iterations: 3 }, { A, x: t(x0), alpha: t(0.3), beta: t(0.2), b: t(b) });
    assertClose(arr(k.evaluate({ A, x: t(x0), alpha: t(0.3), beta: t(0.2), b: t(b) }).y), x, { rtol: 1e-14 });
    const r = gradcheck((alpha, beta) => k.evaluate({ A, x: t(x0), alpha: alpha as Tensor, beta: beta as Tensor, b: t(b) }).y as Tensor, [tensor(0.3, { requiresGrad: true }), tensor(0.2, { requiresGrad: true })]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  });

  it('CG: relative residuals and iterate against dense CG; PCG differentiable in M', async () => {
    covered.add('cg');
    const k = await buildKind('cg', { iterations: 6 }, { A, b: t(b) });
    const out = k.evaluate({ A, b: t(b) });
    // In exact arithmetic CG solves a 6×6 SPD system in 6 iterations.
    assertClose(matvec(Ad, arr(out.x)), b, { rtol: 1e-10, atol: 1e-12 });
    assert.ok(arr(out.residuals)[5]! < 1e-12);
    const M = CsrMatrix.fromCoo([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [6, 6], { requiresGrad: true });
    const p = await buildKind('cg', { iterations: 3 }, { A, b: t(b), M });
    const r = gradcheck((Mx) => p.evaluate({ A, b: t(b), M: Mx as CsrMatrix }).residuals as Tensor, [M]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  });
});

describe('losses and outputs', () => {
  it('agree with their formulas', async () => {
    const A = poisson1d(3);
    const Ad = denseOf(A);
    const X = [[1, 2], [0, 1], [-1, 1]];
    const cols = [0, 1].map((k) => X.map((row) => row[k]!));
    const energy = cols.reduce((s, c) => s + c.reduce((q, v, i) => q + v * matvec(Ad, c)[i]!, 0), 0);
    assertClose(arr((await run('energy-loss', {}, { A, x: t(X) })).loss), [energy], { rtol: 1e-14 });
    assertClose(arr((await run('energy-loss', { reduction: 'mean', weight: 3 }, { A, x: t(X) })).loss), [(3 * energy) / 2], { rtol: 1e-14 });
    const bb = [1, 0, 1];
    const res = cols.reduce((s, c) => s + matvec(Ad, c).reduce((q, v, i) => q + (bb[i]! - v) ** 2, 0), 0);
    assertClose(arr((await run('residual-loss', {}, { A, x: t(X), b: t(bb) })).loss), [res], { rtol: 1e-14 });
    assertClose(arr((await run('residual-loss', { form: 'norm' }, { A, x: t(X), b: t(bb) })).loss), [Math.sqrt(res)], { rtol: 1e-14 });
    const w = [0.36, 0.6, 1];
    const s = w.reduce((p, q) => p + q, 0);
    assertClose(arr((await run('weighted-residual-loss', { gamma: 0.6 }, { residuals: t([0.5, 0.25, 0.125]) })).loss), [(0.36 * 0.5 + 0.6 * 0.25 + 0.125) / s], { rtol: 1e-14 });
    assertClose(arr((await run('mse-loss', {}, { x: t([1, 2]), target: t([0, 4]) })).loss), [2.5], { rtol: 1e-15 });
    const logits = t([[2, 0], [0, 1], [1, 3]]);
    const labels = Int32Array.of(0, 0, 1);
    const ce = -(Math.log(Math.exp(2) / (Math.exp(2) + 1)) + Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(3)))) / 2;
    assertClose(arr((await run('cross-entropy-loss', {}, { logits, labels, rows: Int32Array.of(0, 2) })).loss), [ce], { rtol: 1e-14 });
    assert.deepEqual(arr((await run('sum-loss', {}, { x: t([1, 2, 3]) })).loss), [6]);
    const logp = (await run('log-softmax', {}, { x: logits })).y as Tensor;
    assertClose(arr((await run('nll-loss', {}, { logp, labels, rows: Int32Array.of(0, 2) })).loss), [ce], { rtol: 1e-14 });
    assert.deepEqual(arr((await run('accuracy', {}, { logits, labels })).value), [2 / 3]);
    assert.deepEqual(arr((await run('relative-residual', {}, { residuals: t([0.5, 0.1]) })).value), [0.1]);
    assertClose(arr((await run('relative-residual', {}, { A, x: t([1, 1, 1]), b: t([1, 0, 1]) })).value), [0], { atol: 1e-15 });
    const hist = arr((await run('residual-history', { iterations: 5 }, { A, b: t(bb) })).value);
    assert.equal(hist[0], 1);
    assert.ok(hist.length <= 6 && hist.at(-1)! < 1e-12, hist.join(', '));
    assert.deepEqual(arr((await run('metric', { reduce: 'max' }, { x: t([1, 5, 2]) })).value), [5]);
    assertClose(arr((await run('relative-error', {}, { x: t([1, 2]), truth: t([1, 1]) })).value), [1 / Math.sqrt(2)], { rtol: 1e-15 });
    covered.add('chart').add('heatmap'); // drawn from a run: below and in figures-cli.test.ts
  });
});

describe('a run records probes and views', () => {
  it('values on every edge in the last epoch of run 0, gradients on edges leaving a parameter', async () => {
    const g: Graph = {
      version: 2,
      name: 'probe',
      nodes: [
        { id: 'A', kind: 'poisson1d', fields: { n: 8 } },
        { id: 'x', kind: 'vector-parameter', fields: { init: 'constant', value: 1 } },
        { id: 'y', kind: 'spmv', fields: {} },
        { id: 'loss', kind: 'mse-loss', fields: {} },
        { id: 'target', kind: 'vector', fields: { fill: 'linear' } },
        { id: 'map', kind: 'heatmap', fields: { title: 'x', width: 4, height: 2 } },
      ],
      edges: [
        { id: 'a-x', from: { node: 'A', port: 'A' }, to: { node: 'x', port: 'like' } },
        { id: 'a-y', from: { node: 'A', port: 'A' }, to: { node: 'y', port: 'A' } },
        { id: 'x-y', from: { node: 'x', port: 'value' }, to: { node: 'y', port: 'x' } },
        { id: 'a-t', from: { node: 'A', port: 'A' }, to: { node: 'target', port: 'like' } },
        { id: 'y-l', from: { node: 'y', port: 'y' }, to: { node: 'loss', port: 'x' } },
        { id: 't-l', from: { node: 'target', port: 'b' }, to: { node: 'loss', port: 'target' } },
        { id: 'x-m', from: { node: 'x', port: 'value' }, to: { node: 'map', port: 'values' } },
      ],
      training: { optimizer: { kind: 'sgd', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 }, epochs: 3, runs: 2, seed: 0, dtype: 'float64', device: 'cpu' },
    };
    const r = await runGraph(g);
    assert.deepEqual(Object.keys(r.probes).sort(), g.edges.map((e) => e.id).sort());
    const A = r.probes['a-y']!;
    assert.ok(A.kind === 'sparse' && A.nnz === 22 && A.min === -1 && A.max === 2);
    assert.equal(A.spy.counts.reduce((s, c) => s + c, 0), 22);
    // x in the last epoch (before its step), and its gradient: d/dx mean((Ax − t)²) = 2 Aᵀ(Ax − t)/n.
    const xs = r.series.parameters.x!.at(-1) as number[];
    const p = r.probes['x-y']!;
    assert.ok(p.kind === 'dense');
    assert.deepEqual(p.values, xs);
    const Ad = denseOf(poisson1d(8));
    const tv = Array.from({ length: 8 }, (_, i) => -1 + (2 * (i + 1)) / 9);
    const resid = matvec(Ad, xs).map((v, i) => v - tv[i]!);
    assertClose(p.grad!.values!, matvec(Ad, resid).map((v) => (2 * v) / 8), { rtol: 1e-12 });
    // The heatmap view shows x after the last step (the summary's final x).
    assert.deepEqual(r.views, [{ kind: 'heatmap', title: 'x', width: 4, height: 2, values: r.summary.x }]);
  });
});

describe('coverage', () => {
  it('every kind of the core catalogue is exercised above', () => {
    const core = nodeCatalogue().filter((k) => !EXT.has(k.kind) && k.category !== 'solvers'); // solvers: graph-solvers.test.ts
    const missing = core.map((k) => k.kind).filter((k) => !covered.has(k));
    assert.deepEqual(missing, []);
  });
});

/** The kinds graph-ext adds for the templates beyond the paper (experiments/graph/ext, tested in graph-ext-*.test.ts). */
const EXT = new Set(['grid-field', 'grid-sources', 'grid-gradient', 'add-noise', 'matrix-graph', 'smoother', 'block-cg']);
