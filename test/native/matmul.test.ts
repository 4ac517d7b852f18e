// matmul: the dense GEMM (forward against a triple loop written here, VJPs by
// gradcheck, OpenBLAS against the builtin loops, thread counts) and the
// dispatcher over Tensor / CsrMatrix operands.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CsrMatrix, denseMatmul, getThreads, gradcheck, matmul, randn, setThreads, spmv, Tensor, tensor,
} from '../../native/lib/index.js';
import { addon as loadAddon } from '../../native/lib/addon.js';
import { assertClose, denseMatmul as refMatmul, denseOf, randomCsr } from '../helpers.js';

const gc = (fn: (...xs: never[]) => Tensor, inputs: (Tensor | CsrMatrix)[]): void => {
  const r = gradcheck(fn as never, inputs);
  assert.ok(r.ok, `gradcheck failed: ${JSON.stringify(r.failures.slice(0, 3))}`);
};

const rows = (t: Tensor): number[][] => {
  if (t.ndim === 1) return [Array.from(t.data)];
  const [m, n] = t.shape as [number, number];
  return Array.from({ length: m }, (_, i) => Array.from(t.data.subarray(i * n, i * n + n)));
};
const cols = (t: Tensor): number[][] => Array.from(t.data, (v) => [v]); // a 1-D tensor as a column

describe('dense matmul', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 3, 3],
    [2, 5, 3],
    [7, 1, 4],
    [1, 6, 5],
    [4, 3, 1],
    [17, 9, 23],
  ];

  test('2-D × 2-D forward against a triple loop, float64 and float32', () => {
    shapes.forEach(([m, k, n], s) => {
      const a = randn([m, k], { seed: s });
      const b = randn([k, n], { seed: 100 + s });
      const want = refMatmul(rows(a), rows(b));
      const c = matmul(a, b);
      assert.deepEqual(c.shape, [m, n]);
      assertClose(c.data, want, { rtol: 1e-12, atol: 1e-13 });
      const c32 = matmul(a.to('float32'), b.to('float32'));
      assert.equal(c32.dtype, 'float32');
      assertClose(c32.data, want, { rtol: 1e-5, atol: 1e-5 });
    });
  });

  test('2-D × 1-D, 1-D × 2-D and 1-D × 1-D (as torch.matmul)', () => {
    const A = randn([4, 3], { seed: 1 });
    const x = randn([3], { seed: 2 });
    const y = randn([4], { seed: 3 });
    const Ax = matmul(A, x);
    assert.deepEqual(Ax.shape, [4]);
    assertClose(Ax.data, refMatmul(rows(A), cols(x)).flat(), { rtol: 1e-13 });
    const yA = matmul(y, A);
    assert.deepEqual(yA.shape, [3]);
    assertClose(yA.data, refMatmul([Array.from(y.data)], rows(A)).flat(), { rtol: 1e-13 });
    const d = matmul(x, x);
    assert.deepEqual(d.shape, []);
    assertClose([d.item()], [Array.from(x.data).reduce((s, v) => s + v * v, 0)], { rtol: 1e-14 });
    assertClose(A.matmul(x).data, Ax.data, { rtol: 0 });
  });

  test('empty dimensions give empty or zero results', () => {
    assert.deepEqual(matmul(randn([0, 3]), randn([3, 4])).shape, [0, 4]);
    assert.deepEqual(matmul(randn([2, 3]), randn([3, 0])).shape, [2, 0]);
    const z = matmul(randn([2, 0]), randn([0, 3]));
    assert.deepEqual(z.toList(), [[0, 0, 0], [0, 0, 0]]);
    const z32 = matmul(randn([2, 0], { dtype: 'float32' }), randn([0, 3], { dtype: 'float32' }));
    assert.deepEqual([...z32.data], [0, 0, 0, 0, 0, 0]);
  });

  test('VJPs by gradcheck: dA = V Bᵀ, dB = Aᵀ V, for every operand layout', () => {
    for (const [m, k, n] of shapes.slice(0, 6)) {
      gc((a: Tensor, b: Tensor) => matmul(a, b), [randn([m, k], { seed: m }), randn([k, n], { seed: n + 50 })]);
    }
    gc((a: Tensor, b: Tensor) => matmul(a, b), [randn([4, 3], { seed: 1 }), randn([3], { seed: 2 })]);
    gc((a: Tensor, b: Tensor) => matmul(a, b), [randn([3], { seed: 3 }), randn([3, 5], { seed: 4 })]);
    gc((a: Tensor, b: Tensor) => matmul(a, b), [randn([3], { seed: 5 }), randn([3], { seed: 6 })]);
    gc((a: Tensor) => matmul(a, a), [randn([4, 4], { seed: 7 })]); // the same tensor on both sides
  });

  test('hand-worked gradient', () => {
    const A = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const B = tensor([[5, 6], [7, 8]], { requiresGrad: true });
    const C = matmul(A, B);
    assert.deepEqual(C.toList(), [[19, 22], [43, 50]]);
    C.backward(tensor([[1, 0], [0, 1]]));
    assert.deepEqual(A.grad!.toList(), [[5, 7], [6, 8]]); // V Bᵀ = Bᵀ
    assert.deepEqual(B.grad!.toList(), [[1, 3], [2, 4]]); // Aᵀ V = Aᵀ
  });

  test('native GEMM: OpenBLAS path and builtin loops agree with a triple loop on blocked sizes, transposes, 1 and 2 threads', () => {
    // The raw kernels, to compare the two implementations directly.
    const addon = loadAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
    const before = getThreads();
    try {
      for (const [m, n, k] of [[130, 70, 150], [5, 300, 260], [1, 200, 40], [90, 1, 300]] as const) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const A = randn([m * k], { seed: m + k }).data;
            const B = randn([k * n], { seed: n + k + 1 }).data;
            const ref = new Float64Array(m * n);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let s = 0;
                for (let p = 0; p < k; p++) s += (ta ? A[p * m + i]! : A[i * k + p]!) * (tb ? B[j * k + p]! : B[p * n + j]!);
                ref[i * n + j] = s;
              }
            }
            for (const threads of [1, 2]) {
              setThreads(threads);
              for (const fn of ['gemm', 'gemmBuiltin']) {
                const C = new Float64Array(m * n).fill(NaN);
                addon[fn]!(ta, tb, m, n, k, A, B, C);
                assertClose(C, ref, { rtol: 1e-11, atol: 1e-11, msg: `${fn} ${m}x${n}x${k} ta=${ta} tb=${tb} threads=${threads}` });
                const again = new Float64Array(m * n);
                addon[fn]!(ta, tb, m, n, k, A, B, again);
                assert.deepEqual(again, C, 'deterministic for a given thread count');
              }
            }
          }
        }
      }
      assert.ok(['openblas', 'builtin'].includes(addon.gemmBackend!() as string));
      // Binding guards: short arrays are refused before any kernel runs.
      assert.throws(() => addon.gemm!(false, false, 2, 2, 2, new Float64Array(3), new Float64Array(4), new Float64Array(4)), {
        message: 'gemm: A has 3 entries, needs 4',
      });
      assert.throws(() => addon.gemm!(false, false, 2, 2, 2, new Float64Array(4), new Float32Array(4), new Float64Array(4)), {
        message: 'gemm: expected Float64Array for B',
      });
    } finally {
      setThreads(before);
    }
  });

  test('errors: inner dimensions, ranks, dtypes, JS types', () => {
    const a = randn([2, 3]);
    assert.throws(() => matmul(a, randn([2, 3])), {
      message: 'matmul: a has shape [2, 3] but b has shape [2, 3]: the inner dimensions (3 and 2) differ',
    });
    assert.throws(() => matmul(randn([4]), a), { message: 'matmul: a has shape [4] but b has shape [2, 3]: the inner dimensions (4 and 2) differ' });
    assert.throws(() => matmul(randn([2, 2, 2]), a), {
      message: 'matmul: expected 1-D or 2-D tensors but a has shape [2, 2, 2] and b has shape [2, 3]',
    });
    assert.throws(() => matmul(a, randn([3, 2], { dtype: 'float32' })), {
      message: 'matmul: mixed dtypes: a is float64 but b is float32 (convert one with .to())',
    });
    assert.throws(() => matmul(a, [[1], [2], [3]] as never), { message: 'matmul: expected a Tensor or a CsrMatrix for b but received array of length 3' });
    assert.throws(() => denseMatmul(a, 2 as never), { message: 'matmul: expected a Tensor for b but received number 2' });
  });
});

describe('matmul dispatch on operand kinds', () => {
  test('CsrMatrix × 1-D Tensor is spmv', () => {
    const A = randomCsr(5, 4, { seed: 3 });
    const x = randn([4], { seed: 4 });
    const y: Tensor = matmul(A, x);
    assert.deepEqual([...y.data], [...spmv(A, x).data]);
    gc((v: CsrMatrix, u: Tensor) => matmul(v, u), [A, x]);
  });

  test('CsrMatrix × 2-D Tensor is spdmm', () => {
    const A = randomCsr(5, 4, { seed: 5, emptyRows: [2] });
    const D = randn([4, 3], { seed: 6 });
    const C: Tensor = matmul(A, D);
    assertClose(C.data, refMatmul(denseOf(A), rows(D)).flat(), { rtol: 1e-13, atol: 1e-14 });
    gc((v: CsrMatrix, u: Tensor) => matmul(v, u), [A, D]);
  });

  test('CsrMatrix × CsrMatrix is spgemm (a CsrMatrix)', () => {
    const A = randomCsr(4, 5, { seed: 7 });
    const B = randomCsr(5, 3, { seed: 8 });
    const C: CsrMatrix = matmul(A, B);
    assert.ok(C instanceof CsrMatrix);
    assertClose(denseOf(C).flat(), refMatmul(denseOf(A), denseOf(B)).flat(), { rtol: 1e-13, atol: 1e-14 });
  });

  test('Tensor × CsrMatrix: forward against the dense product, VJPs on the pattern (gradcheck), float32', () => {
    for (const [m, k, n, seed] of [[3, 5, 4, 1], [1, 4, 6, 2], [2, 1, 1, 3], [4, 6, 5, 4]] as const) {
      const A = randomCsr(k, n, { seed, emptyRows: k > 2 ? [1] : [] });
      const D = randn([m, k], { seed: seed + 10 });
      const C: Tensor = matmul(D, A);
      assert.deepEqual(C.shape, [m, n]);
      assertClose(C.data, refMatmul(rows(D), denseOf(A)).flat(), { rtol: 1e-13, atol: 1e-14 });
      gc((u: Tensor, v: CsrMatrix) => matmul(u, v), [D, A]);
      const C32 = matmul(D.to('float32'), CsrMatrix.fromCsr(A.indptr, A.indices, Float32Array.from(A.values.data), A.shape));
      assertClose(C32.data, C.data, { rtol: 1e-5, atol: 1e-5 });
    }
    // 1-D × CsrMatrix
    const A = randomCsr(4, 3, { seed: 9 });
    const x = randn([4], { seed: 10 });
    const y = x.matmul(A);
    assert.deepEqual(y.shape, [3]);
    assertClose(y.data, refMatmul([Array.from(x.data)], denseOf(A)).flat(), { rtol: 1e-13, atol: 1e-14 });
    gc((u: Tensor, v: CsrMatrix) => matmul(u, v), [x, A]);
    // zero nnz
    const Z = CsrMatrix.fromCoo([], [], [], [3, 2]);
    assert.deepEqual(matmul(randn([2, 3]), Z).toList(), [[0, 0], [0, 0]]);
  });

  test('dispatch errors', () => {
    const A = randomCsr(3, 4, { seed: 11 });
    assert.throws(() => matmul(A, randn([2, 2, 4])), {
      message: 'matmul: a is a CsrMatrix of shape [3, 4], so b must be 1-D or 2-D but has shape [2, 2, 4]',
    });
    assert.throws(() => matmul(randn([2, 2]), A), {
      message: 'matmul: a has shape [2, 2] but b has shape [3, 4]: the inner dimensions (2 and 3) differ',
    });
    assert.throws(() => matmul(randn([2, 3], { dtype: 'float32' }), A), {
      message: 'matmul: mixed dtypes: a is float32 but b is float64 (convert one with .to())',
    });
    assert.throws(() => matmul('A' as never, A), { message: 'matmul: expected a Tensor or a CsrMatrix for a but received string "A"' });
  });
});
