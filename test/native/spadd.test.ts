import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, getThreads, gradcheck, noGrad, setThreads, spadd, tensor, type Tensor } from '../../native/lib/index.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

/** The union of two patterns, row by row (sorted). */
function unionPattern(A: CsrMatrix, B: CsrMatrix): { indptr: number[]; indices: number[] } {
  const indptr = [0];
  const indices: number[] = [];
  const a = { ip: A.indptr, ix: A.indices };
  const b = { ip: B.indptr, ix: B.indices };
  for (let i = 0; i < A.rows; i++) {
    const cols = new Set<number>();
    for (let p = a.ip[i]!; p < a.ip[i + 1]!; p++) cols.add(a.ix[p]!);
    for (let q = b.ip[i]!; q < b.ip[i + 1]!; q++) cols.add(b.ix[q]!);
    indices.push(...[...cols].sort((x, y) => x - y));
    indptr.push(indices.length);
  }
  return { indptr, indices };
}

/** Checks C = αA + βB: pattern = union, values = the dense sum read on it. */
function checkSum(A: CsrMatrix, B: CsrMatrix, alpha: number, beta: number, C: CsrMatrix, tol: { rtol?: number; atol?: number } = {}): void {
  assert.deepEqual(C.shape, A.shape);
  const u = unionPattern(A, B);
  assert.deepEqual([...C.indptr], u.indptr, 'indptr');
  assert.deepEqual([...C.indices], u.indices, 'indices');
  const a = denseOf(A);
  const b = denseOf(B);
  const expected = a.map((row, i) => row.map((x, j) => alpha * x + beta * b[i]![j]!));
  assertClose(denseOf(C), expected, { rtol: 1e-12, atol: 1e-12, ...tol, msg: 'values' });
}

function gradOk(A: CsrMatrix, B: CsrMatrix, alpha: Tensor, beta: Tensor): void {
  const r = gradcheck(
    (a, b, al, be) => spadd(a as CsrMatrix, b as CsrMatrix, { alpha: al as Tensor, beta: be as Tensor }).values,
    [A, B, alpha, beta],
  );
  assert.ok(r.ok, `gradcheck failed: ${JSON.stringify(r.failures.slice(0, 3))}`);
}

test('spadd: hand-worked 2x2 with scalar-Tensor alpha and beta, forward and all four VJPs', () => {
  // A = [[1, 0], [2, 3]], B = [[0, 4], [5, 0]], α = 2, β = -1  =>  C = [[2, -4], [-1, 6]]
  const A = CsrMatrix.fromCoo([0, 1, 1], [0, 0, 1], [1, 2, 3], [2, 2], { requiresGrad: true });
  const B = CsrMatrix.fromCoo([0, 1], [1, 0], [4, 5], [2, 2], { requiresGrad: true });
  const alpha = tensor(2, { requiresGrad: true });
  const beta = tensor([-1], { requiresGrad: true });
  const C = spadd(A, B, { alpha, beta });
  assert.deepEqual([...C.indptr], [0, 2, 4]);
  assert.deepEqual([...C.indices], [0, 1, 0, 1]);
  assert.deepEqual([...C.values.toArray()], [2, -4, -1, 6]);
  C.values.backward(tensor([1, 2, 3, 4]));
  // dA = α V ⊙ mask(A): V at (0,0), (1,0), (1,1) = [1, 3, 4], times 2
  assert.deepEqual([...A.grad!.toArray()], [2, 6, 8]);
  // dB = β V ⊙ mask(B): V at (0,1), (1,0) = [2, 3], times -1
  assert.deepEqual([...B.grad!.toArray()], [-2, -3]);
  // dα = ⟨V, A⟩ = 1*1 + 3*2 + 4*3; dβ = ⟨V, B⟩ = 2*4 + 3*5
  assert.deepEqual(alpha.grad!.shape, []);
  assert.equal(alpha.grad!.item(), 19);
  assert.deepEqual(beta.grad!.shape, [1]);
  assert.equal(beta.grad!.item(), 23);
});

test('spadd: defaults are alpha = beta = 1', () => {
  const A = CsrMatrix.fromCoo([0, 1], [1, 0], [1, 2], [2, 2]);
  const B = CsrMatrix.fromCoo([0, 1], [1, 1], [10, 20], [2, 2]);
  const C = spadd(A, B);
  assert.deepEqual([...C.indices], [1, 0, 1]);
  assert.deepEqual([...C.values.toArray()], [11, 2, 20]);
});

const cases: { name: string; rows: number; cols: number; make: () => [CsrMatrix, CsrMatrix] }[] = [
  { name: 'square, different patterns', rows: 6, cols: 6, make: () => [randomCsr(6, 6, { seed: 1 }), randomCsr(6, 6, { seed: 2 })] },
  { name: 'rectangular 3x5', rows: 3, cols: 5, make: () => [randomCsr(3, 5, { seed: 3, density: 0.5 }), randomCsr(3, 5, { seed: 4, density: 0.5 })] },
  {
    name: 'empty rows in either operand',
    rows: 6,
    cols: 4,
    make: () => [randomCsr(6, 4, { seed: 5, density: 0.5, emptyRows: [0, 2, 5] }), randomCsr(6, 4, { seed: 6, density: 0.5, emptyRows: [2, 3] })],
  },
  { name: 'B with no nonzeros', rows: 4, cols: 3, make: () => [randomCsr(4, 3, { seed: 7, density: 0.5 }), CsrMatrix.fromCoo([], [], [], [4, 3])] },
  { name: 'A with no nonzeros', rows: 4, cols: 3, make: () => [CsrMatrix.fromCoo([], [], [], [4, 3]), randomCsr(4, 3, { seed: 8, density: 0.5 })] },
  { name: '1x1', rows: 1, cols: 1, make: () => [CsrMatrix.fromCoo([0], [0], [3], [1, 1]), CsrMatrix.fromCoo([0], [0], [-5], [1, 1])] },
  {
    name: 'equal patterns, different objects',
    rows: 5,
    cols: 5,
    make: () => {
      const A = randomCsr(5, 5, { seed: 9 });
      return [A, CsrMatrix.fromCsr(A.indptr, A.indices, A.values.data.map((x) => x * 3 + 1), [5, 5])];
    },
  },
  {
    name: "B's pattern inside A's",
    rows: 5,
    cols: 6,
    make: () => {
      const A = randomCsr(5, 6, { seed: 10, density: 0.6 });
      const keep = [...A.indices.keys()].filter((p) => p % 2 === 0);
      const rows = keep.map((p) => A.indptr.findIndex((_, i) => A.indptr[i + 1]! > p));
      return [A, CsrMatrix.fromCoo(rows, keep.map((p) => A.indices[p]!), keep.map((p) => p + 1), [5, 6])];
    },
  },
  {
    name: "A's pattern inside B's",
    rows: 5,
    cols: 6,
    make: () => {
      const B = randomCsr(5, 6, { seed: 11, density: 0.6 });
      const keep = [...B.indices.keys()].filter((p) => p % 3 === 1);
      const rows = keep.map((p) => B.indptr.findIndex((_, i) => B.indptr[i + 1]! > p));
      return [CsrMatrix.fromCoo(rows, keep.map((p) => B.indices[p]!), keep.map((p) => -p), [5, 6]), B];
    },
  },
  {
    name: 'disjoint patterns',
    rows: 4,
    cols: 4,
    make: () => [CsrMatrix.fromCoo([0, 1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 4], [4, 4]), CsrMatrix.fromCoo([0, 1, 3], [3, 0, 1], [5, 6, 7], [4, 4])],
  },
];

for (const c of cases) {
  test(`spadd: ${c.name}: forward against the dense sum, VJPs (A, B, α, β) against gradcheck`, () => {
    const [A, B] = c.make();
    for (const [alpha, beta] of [[1, 1], [2.5, -0.75], [0, 3]] as const) checkSum(A, B, alpha, beta, spadd(A, B, { alpha, beta }));
    gradOk(A, B, tensor(1.5), tensor([-0.5]));
  });
}

test('spadd: the same matrix twice shares its pattern; the gradient w.r.t. its values adds both terms', () => {
  const A = randomCsr(5, 4, { seed: 12 });
  const C = spadd(A, A, { alpha: 2, beta: -0.5 });
  assert.equal(C.pattern, A.pattern);
  checkSum(A, A, 2, -0.5, C);
  const r = gradcheck((a, al, be) => spadd(a as CsrMatrix, a as CsrMatrix, { alpha: al as Tensor, beta: be as Tensor }).values, [
    A, tensor(0.3), tensor(1.7),
  ]);
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 3)));
  // With numbers: d(values) = (α + β) V.
  const a = A.withValues(A.values.detach(), { requiresGrad: true });
  const v = tensor(Float64Array.from({ length: A.nnz }, (_, k) => k + 1));
  spadd(a, a, { alpha: 2, beta: -0.5 }).values.backward(v);
  assertClose(a.grad!.data, v.data.map((x) => 1.5 * x));
});

test('spadd: cancellation keeps explicit zeros (the pattern is the union)', () => {
  const A = randomCsr(4, 4, { seed: 13 });
  const C = spadd(A, A.withValues(A.values.detach()), { alpha: 1, beta: -1 });
  assert.equal(C.nnz, A.nnz);
  assert.deepEqual([...C.values.toArray()], new Array(A.nnz).fill(0));
  const D = CsrMatrix.fromCoo([0, 0], [0, 1], [1, 2], [1, 3]);
  const E = CsrMatrix.fromCoo([0, 0], [1, 2], [2, 5], [1, 3]);
  const F = spadd(D, E, { beta: -1 });
  assert.deepEqual([...F.indices], [0, 1, 2]);
  assert.deepEqual([...F.values.toArray()], [1, 0, -5]);
});

test('spadd: the union structure is cached per pair of patterns and follows new values', () => {
  const A = randomCsr(6, 5, { seed: 14 });
  const B = randomCsr(6, 5, { seed: 15 });
  const C1 = spadd(A, B, { alpha: 2 });
  const B2 = B.withValues(B.values.data.map((x) => x - 1));
  const C2 = spadd(A, B2, { alpha: 2 });
  assert.equal(C2.pattern, C1.pattern);
  checkSum(A, B2, 2, 1, C2);
  // Reversed order has its own entry (its maps are swapped).
  checkSum(B, A, 1, 3, spadd(B, A, { beta: 3 }));
});

test('spadd: float32 agrees with float64, with float32 scalar Tensors', () => {
  const A64 = randomCsr(7, 6, { seed: 16 });
  const B64 = randomCsr(7, 6, { seed: 17 });
  const to32 = (M: CsrMatrix): CsrMatrix => M.withValues(Float32Array.from(M.values.data), { dtype: 'float32', requiresGrad: true });
  const A32 = to32(A64);
  const B32 = to32(B64);
  const al32 = tensor(1.25, { dtype: 'float32', requiresGrad: true });
  const be32 = tensor([-0.5], { dtype: 'float32', requiresGrad: true });
  const C32 = spadd(A32, B32, { alpha: al32, beta: be32 });
  assert.equal(C32.dtype, 'float32');
  checkSum(A64, B64, 1.25, -0.5, C32, { rtol: 1e-6, atol: 1e-6 });
  const seed = Float64Array.from({ length: C32.nnz }, (_, k) => Math.sin(k + 1));
  C32.values.backward(tensor(Float32Array.from(seed)));
  const a = A64.withValues(A64.values.detach(), { requiresGrad: true });
  const b = B64.withValues(B64.values.detach(), { requiresGrad: true });
  const al = tensor(1.25, { requiresGrad: true });
  const be = tensor([-0.5], { requiresGrad: true });
  spadd(a, b, { alpha: al, beta: be }).values.backward(tensor(seed));
  assertClose(A32.grad!.data, a.grad!.data, { rtol: 1e-6, atol: 1e-6 });
  assertClose(B32.grad!.data, b.grad!.data, { rtol: 1e-6, atol: 1e-6 });
  assertClose([al32.grad!.item(), be32.grad!.item()], [al.grad!.item(), be.grad!.item()], { rtol: 1e-5, atol: 1e-5 });
});

test('spadd: noGrad records nothing; a number alpha gets no gradient slot', () => {
  const A = randomCsr(3, 3, { seed: 18, requiresGrad: true });
  const B = randomCsr(3, 3, { seed: 19 });
  assert.equal(noGrad(() => spadd(A, B)).requiresGrad, false);
  const beta = tensor(2, { requiresGrad: true });
  const C = spadd(A, B, { alpha: 3, beta });
  assert.equal(C.values.gradFn!.inputs[2], null);
  C.values.backward(tensor(new Float64Array(C.nnz).fill(1)));
  assert.equal(B.grad, null);
  // dβ = ⟨1, B⟩ = sum of B's values
  assertClose([beta.grad!.item()], [Array.from(B.values.data).reduce((s, x) => s + x, 0)]);
});

test('spadd: results do not depend on the thread count (forward bitwise)', () => {
  const before = getThreads();
  const A = randomCsr(400, 300, { seed: 20, density: 0.4 });
  const B = randomCsr(400, 300, { seed: 21, density: 0.4, emptyRows: [5, 6] });
  const run = (threads: number): Float64Array[] => {
    setThreads(threads);
    A.pattern.cache.clear(); // recompute the union with this thread count too
    const a = A.withValues(A.values.detach(), { requiresGrad: true });
    const b = B.withValues(B.values.detach(), { requiresGrad: true });
    const al = tensor(0.5, { requiresGrad: true });
    const C = spadd(a, b, { alpha: al, beta: 2 });
    C.values.backward(tensor(Float64Array.from({ length: C.nnz }, (_, k) => Math.cos(k))));
    return [C.values.toArray(), Float64Array.from(C.indices), a.grad!.toArray(), b.grad!.toArray(), al.grad!.toArray()] as Float64Array[];
  };
  try {
    const one = run(1);
    const two = run(2);
    for (let k = 0; k < 4; k++) assert.deepEqual(two[k], one[k]);
    assertClose(two[4]!, one[4]!, { rtol: 1e-12 });
  } finally {
    setThreads(before);
  }
});

test('spadd: through a sum() or mean() loss (the seed read as a broadcast) the gradients are the hand-worked ones, bit for bit those of a materialised seed', () => {
  // Patterns with ≥ 1024 entries in C (so the seed is a shared constant): one
  // pattern for both (the single pass), and two different ones (the maps);
  // α, β as numbers and as scalar Tensors (their dots).
  for (const dtype of ['float64', 'float32'] as const) {
    const P = randomCsr(120, 90, { density: 0.15, seed: 41, dtype });
    const Q = randomCsr(120, 90, { density: 0.15, seed: 42, dtype });
    for (const [name, A0, B0] of [['one pattern', P, P.withValues(P.values.mul(0.5))], ['two patterns', P, Q]] as const) {
      for (const scalars of ['numbers', 'tensors'] as const) {
        for (const loss of ['sum', 'mean'] as const) {
          const run = (seed: 'loss' | 'explicit'): { dA: number[]; dB: number[]; da: number; db: number; n: number } => {
            const A = A0.withValues(A0.values.detach(), { requiresGrad: true });
            const B = B0.withValues(B0.values.detach(), { requiresGrad: true });
            const alpha = scalars === 'numbers' ? 2 : tensor([2], { dtype, requiresGrad: true });
            const beta = scalars === 'numbers' ? -0.5 : tensor([-0.5], { dtype, requiresGrad: true });
            const C = spadd(A, B, { alpha, beta });
            const n = C.nnz;
            const scale = loss === 'sum' ? 1 : 1 / n;
            if (seed === 'loss') (loss === 'sum' ? C.values.sum() : C.values.mean()).backward();
            else C.values.backward(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(n).fill(scale)));
            const grad = (s: number | Tensor): number => (typeof s === 'number' ? NaN : s.grad!.item());
            return { dA: Array.from(A.values.grad!.data), dB: Array.from(B.values.grad!.data), da: grad(alpha), db: grad(beta), n };
          };
          const viaLoss = run('loss');
          const at = `${dtype} ${name} ${scalars} ${loss}`;
          assert.ok(viaLoss.n >= 1024, `${at}: C has ${viaLoss.n} entries, too few for a shared seed`);
          assert.deepEqual(viaLoss, run('explicit'), at);
          // By hand: dA = α s, dB = β s (s the seed's value); dα = s Σ A, dβ = s Σ B.
          const s = loss === 'sum' ? 1 : 1 / viaLoss.n;
          const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
          assertClose(viaLoss.dA, new Array<number>(A0.nnz).fill(2 * s), { ...tol, msg: `${at}: dA` });
          assertClose(viaLoss.dB, new Array<number>(B0.nnz).fill(-0.5 * s), { ...tol, msg: `${at}: dB` });
          if (scalars === 'tensors') {
            const total = (M: CsrMatrix): number => Array.from(M.values.data).reduce((x, y) => x + y, 0);
            assertClose([viaLoss.da, viaLoss.db], [s * total(A0), s * total(B0)], { ...tol, msg: `${at}: dα, dβ` });
          }
        }
      }
    }
  }
});

test('spadd: bad input gets a clear error', () => {
  const A = randomCsr(3, 4, { seed: 22 });
  const B = randomCsr(4, 3, { seed: 23 });
  assert.throws(() => spadd(A, B), { message: 'spadd: A has shape [3, 4] but B has shape [4, 3] (they must match)' });
  const A32 = randomCsr(3, 4, { seed: 24, dtype: 'float32' });
  assert.throws(() => spadd(A, A32), { message: 'spadd: mixed dtypes: A is float64 but B is float32 (convert one with .to())' });
  assert.throws(() => spadd(A, A, { alpha: tensor(1, { dtype: 'float32' }) }), {
    message: 'spadd: mixed dtypes: A is float64 but alpha is float32 (convert one with .to())',
  });
  assert.throws(() => spadd(A, A, { beta: tensor([1, 2]) }), {
    message: 'spadd: beta must be a number or a scalar Tensor (0-D or one element) but has shape [2]',
  });
  assert.throws(() => spadd(A, A, { alpha: '2' as unknown as number }), {
    message: 'spadd: expected a number or a scalar Tensor for alpha but received string "2"',
  });
  assert.throws(() => spadd(tensor([1]) as unknown as CsrMatrix, A), {
    message: 'spadd: expected a CsrMatrix for A but received Tensor of shape [1] (float64)',
  });
  assert.throws(() => spadd(A, undefined as unknown as CsrMatrix), { message: 'spadd: expected a CsrMatrix for B but received undefined' });
  assert.throws(() => spadd(A, A, 3 as unknown as object), { message: 'spadd: expected an options object for options but received number 3' });
});
