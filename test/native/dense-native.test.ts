// The dense ops through the native kernels at sizes where they vectorize and
// split over threads: float64 loops written here as the reference, bitwise-equal
// results for 1 and 2 threads, broadcasting edge cases, NaN/Inf propagation, and
// the gradient seeding / in-place accumulation of autograd (shared constant seeds
// must never be written).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  Adam, add, crossEntropy, dropout, exp, getThreads, logSoftmax, maximum, mean, mul, relu, setThreads, sum, tanh, tensor,
  type DType, type Tensor,
} from '../../native/lib/index.js';
import { assertClose } from '../helpers.js';

const N = 1 << 17; // 4 × the kernels' grain: 2 threads really split the work

function seeded(n: number, dtype: DType, seed: number, scale = 3): Tensor {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = scale * (2 * (s / 2 ** 32) - 1);
  }
  return tensor(a, { dtype });
}

function bits(t: Tensor): Buffer {
  const d = t.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

describe('dense ops through the native kernels', () => {
  const threads = getThreads();
  after(() => setThreads(threads));

  test('bitwise the same on 1 and 2 threads (forward and VJP), float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      const run = (): Buffer[] => {
        const a = seeded(N, dtype, 1).requiresGrad_();
        const b = seeded(N, dtype, 2);
        const m = a.reshape([N / 32, 32]);
        const v = seeded(32, dtype, 3).requiresGrad_();
        const outs = [add(m, v), mul(a, b), exp(a), tanh(a), relu(a), sum(a), mean(m, 0), mean(m, 1), logSoftmax(m)];
        const loss = outs.reduce((s: Tensor, o) => add(s, sum(mul(o, o))), sum(a));
        loss.backward();
        const ce = crossEntropy(m, new Int32Array(N / 32).fill(3));
        const p = seeded(N, dtype, 4).requiresGrad_();
        p.grad = seeded(N, dtype, 5);
        const opt = new Adam([p], { lr: 0.01, weightDecay: 0.1 });
        opt.step();
        opt.step();
        const d = dropout(a.detach(), 0.3, { seed: 9 });
        return [...outs.map(bits), bits(a.grad!), bits(v.grad!), bits(ce), bits(p), bits(d)];
      };
      setThreads(1);
      const one = run();
      setThreads(2);
      const two = run();
      one.forEach((b, k) => assert.ok(b.equals(two[k]!), `${dtype}: output ${k} differs between 1 and 2 threads`));
    }
  });

  test('against float64 loops at 2^17 entries', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      const a = seeded(N, dtype, 11);
      const ad = Array.from(a.data);
      const rtol = dtype === 'float64' ? 1e-14 : 2e-7;
      assertClose(exp(a).data, ad.map(Math.exp), { rtol, msg: `exp ${dtype}` });
      assertClose(tanh(a).data, ad.map(Math.tanh), { rtol: dtype === 'float64' ? 1e-15 * 4 : 2e-7, atol: 1e-300, msg: `tanh ${dtype}` });
      let s = 0;
      for (const x of ad) s += x;
      assertClose([sum(a).item()], [s], { rtol: dtype === 'float64' ? 1e-12 : 1e-6, atol: 1e-9, msg: `sum ${dtype}` });
      const rows = N / 32;
      const m = a.reshape([rows, 32]);
      const colMean = new Array<number>(32).fill(0);
      const rowMean = new Array<number>(rows).fill(0);
      const lsm = new Array<number>(N);
      for (let r = 0; r < rows; r++) {
        let mx = -Infinity;
        let se = 0;
        for (let j = 0; j < 32; j++) {
          colMean[j]! += ad[r * 32 + j]! / rows;
          rowMean[r]! += ad[r * 32 + j]! / 32;
          mx = Math.max(mx, ad[r * 32 + j]!);
        }
        for (let j = 0; j < 32; j++) se += Math.exp(ad[r * 32 + j]! - mx);
        for (let j = 0; j < 32; j++) lsm[r * 32 + j] = ad[r * 32 + j]! - mx - Math.log(se);
      }
      assertClose(mean(m, 0).data, colMean, { rtol: 1e-6, atol: 1e-9, msg: `mean axis 0 ${dtype}` });
      assertClose(mean(m, 1).data, rowMean, { rtol: 1e-6, atol: 1e-7, msg: `mean axis 1 ${dtype}` });
      assertClose(logSoftmax(m).data, lsm, { rtol: dtype === 'float64' ? 1e-13 : 1e-6, atol: 1e-6, msg: `logSoftmax ${dtype}` });
    }
  });

  test('a sum or mean over every entry (the short path) is bitwise the one over an explicit list of all axes; float32 within 3 float roundings of Σ|x|', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      for (const shape of [[], [1], [7], [4097], [3, 5, 4099], [0, 3]] as number[][]) {
        const n = shape.reduce((p, d) => p * d, 1);
        const x = seeded(n, dtype, 5 + n).reshape(shape);
        const axes = shape.map((_, d) => d);
        const at = `${dtype} [${shape.join(', ')}]`;
        assert.ok(Object.is(sum(x).item(), sum(x, axes).item()), `${at}: sum`);
        assert.ok(Object.is(mean(x).item(), mean(x, axes).item()), `${at}: mean`);
        assert.deepEqual(sum(x).shape, []);
        // The gradient of either is the same constant.
        const g = x.detach().requiresGrad_();
        mean(g).backward();
        assert.deepEqual(Array.from(g.grad!.data), new Array<number>(n).fill(dtype === 'float32' ? Math.fround(1 / n) : 1 / n), `${at}: d mean`);
        if (dtype === 'float32' && n > 4096) {
          let exact = 0;
          let mag = 0;
          for (const v of x.data) {
            exact += v;
            mag += Math.abs(v);
          }
          const eps = 2 ** -24;
          const err = Math.abs(sum(x).item() - exact);
          assert.ok(err <= eps * Math.abs(exact) + 3 * eps * mag + 1e-10 * mag, `${at}: error ${err} (Σ|x| ${mag})`);
        }
      }
    }
  });

  test('broadcasting edge cases: empty axes, 0-D, numbers on either side, a size-1 axis on both', () => {
    assert.deepEqual(add(tensor(new Float64Array(0), { shape: [0, 3] }), tensor([1, 2, 3])).shape, [0, 3]);
    assert.deepEqual(add(tensor(5), tensor([1, 2])).toArray(), new Float64Array([6, 7]));
    assert.deepEqual(mul(2, tensor([[1], [2]])).toList(), [[2], [4]]);
    assert.deepEqual(add(tensor([[[1, 2, 3]], [[4, 5, 6]]]), tensor([[10], [20], [30], [40]])).shape, [2, 4, 3]);
    const g = tensor([[1], [2]], { requiresGrad: true });
    const h = tensor([[1, 2, 3]], { requiresGrad: true });
    sum(mul(g, h)).backward();
    assert.deepEqual(Array.from(g.grad!.data), [6, 6]); // Σ_j h_j
    assert.deepEqual(Array.from(h.grad!.data), [3, 3, 3]); // Σ_i g_i
    assert.throws(() => add(tensor([1, 2, 3]), tensor([1, 2])), /add: shapes a \[3\] and b \[2\] cannot be broadcast together/);
  });

  test('NaN and ±Infinity propagate', () => {
    const x = tensor([NaN, Infinity, -Infinity, 1, -0]);
    const got = (t: Tensor): number[] => Array.from(t.data);
    assert.deepEqual(got(add(x, 1)), [NaN, Infinity, -Infinity, 2, 1]);
    const e = got(exp(x));
    assert.deepEqual([e[0], e[1], e[2], e[4]], [NaN, Infinity, 0, 1]);
    assertClose([e[3]!], [Math.E], { rtol: 2.3e-16 }); // within 1 ulp (vmath.h)
    const t = got(tanh(x));
    assert.deepEqual([t[0], t[1], t[2], t[4]], [NaN, 1, -1, -0]);
    assertClose([t[3]!], [Math.tanh(1)], { rtol: 4.5e-16 });
    assert.deepEqual(got(relu(x)), [NaN, Infinity, 0, 1, 0]);
    assert.deepEqual(got(maximum(x, 0)), [NaN, Infinity, 0, 1, 0]);
    assert.ok(Number.isNaN(sum(x).item()));
    assert.equal(sum(tensor([1, Infinity])).item(), Infinity);
    assert.deepEqual(got(logSoftmax(tensor([[-Infinity, 0]]))), [-Infinity, 0]);
  });

  test('a sum seed is a shared constant that no gradient writes: accumulation copies it, then adds in place', () => {
    const x = seeded(4096, 'float64', 21).requiresGrad_();
    sum(x).backward(); // x.grad starts as a copy of the shared ones, not the array itself
    sum(x).backward(); // … and the second gradient is added into it in place
    const grad = x.grad!;
    assert.ok(Array.from(grad.data).every((v) => v === 2));
    sum(mul(x, 3)).backward();
    assert.equal(x.grad, grad, 'accumulated into the same tensor');
    assert.ok(Array.from(x.grad!.data).every((v) => v === 5));
    const y = seeded(4096, 'float64', 22).requiresGrad_();
    sum(y).backward(); // the constant was not written by the accumulations above
    assert.ok(Array.from(y.grad!.data).every((v) => v === 1));
    const z = seeded(4096, 'float64', 23).requiresGrad_();
    mean(z).backward();
    assert.ok(Array.from(z.grad!.data).every((v) => v === 1 / 4096));
  });
});
