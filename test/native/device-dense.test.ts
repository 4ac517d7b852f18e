// Dense ops on the device ('cuda') against the same ops on the CPU, forward and
// VJP (a random seed gradient), float64 (tight) and float32: element-wise ops
// with NumPy broadcasting and number operands, unary ops, clamp, reductions,
// matmul (dense × dense, and the dispatch to the sparse ops), transpose, the
// dtype cast; empty tensors; mixed-device errors; memory in a scope() loop.
// Without a GPU this runs on the emulated device (host loops over the same
// per-element bodies as the CUDA kernels), so it checks the TypeScript device
// path and the bindings, not the CUDA kernels (native/core/tests/cuda_tests.cc does).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CsrMatrix, deviceMemory, div, dot, matmul, maximum, minimum, norm, pow, randn, scope, spmv, sub,
  Tensor, tensor, zeros,
} from '../../native/lib/index.js';
import type { DType } from '../../native/lib/index.js';
import { checkAgainstCpu, testDevice } from '../device-helpers.js';
import { assertClose, randomCsr } from '../helpers.js';

testDevice('device-dense.test.ts');

const DTYPES = ['float64', 'float32'] as const;
const TOL: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  float32: { rtol: 2e-5, atol: 2e-6 },
};

let seed = 1;
function rnd(shape: readonly number[], dtype: DType, map?: (v: number) => number): Tensor {
  const t = randn(shape, { seed: seed++, dtype });
  if (!map) return t;
  return tensor(Array.from(t.data, map), { dtype, shape });
}
const positive = (v: number): number => 0.5 + Math.abs(v);

/** fn on the CPU and on the device agree, forward and VJP (checkAgainstCpu). */
function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], tol = TOL[inputs[0]!.dtype]): void {
  checkAgainstCpu(name, fn, inputs, { tol, seedGradient: (shape, dtype) => rnd(shape, dtype) });
}

test('binary ops broadcast on the device as on the CPU, forward and VJP', () => {
  const cases: [number[], number[]][] = [
    [[37, 5], [5]], // [N, H] + [H]: a bias
    [[37, 1], [1, 23]], // an outer broadcast
    [[], [41]], // a 0-D scalar with a vector
    [[41], []],
    [[6, 7], [6, 7]],
    [[2, 3, 4], [3, 1]],
    [[5, 1, 3], [1, 4, 1]],
    [[1], [1]],
    [[], []],
  ];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', (a, b) => a.add(b)],
    ['sub', (a, b) => a.sub(b)],
    ['mul', (a, b) => a.mul(b)],
    ['div', (a, b) => a.div(b)],
    ['pow', (a, b) => pow(a, b)],
    ['maximum', (a, b) => maximum(a, b)],
    ['minimum', (a, b) => minimum(a, b)],
  ];
  for (const dtype of DTYPES) {
    for (const [sa, sb] of cases) {
      for (const [name, f] of ops) {
        // A positive base for pow; denominators away from 0 for div.
        const a = rnd(sa, dtype, name === 'pow' ? positive : undefined);
        const b = rnd(sb, dtype, name === 'div' ? positive : undefined);
        check(`${name} [${sa}] with [${sb}]`, f, [a, b]);
      }
    }
  }
});

test('number operands on either side stay constants of the tensor dtype', () => {
  for (const dtype of DTYPES) {
    const x = rnd([13, 4], dtype, positive);
    check('x + 2.5', (t) => t.add(2.5), [x]);
    check('3 - x', (t) => sub(3, t), [x]);
    check('x * 0.1', (t) => t.mul(0.1), [x]);
    check('1 / x', (t) => div(1, t), [x]);
    check('x ** 2', (t) => t.pow(2), [x]);
    check('2 ** x', (t) => pow(2, t), [x]);
    check('x ** 0', (t) => t.pow(0), [x]);
    check('maximum(x, 1)', (t) => maximum(t, 1), [x]);
    check('minimum(0.9, x)', (t) => minimum(0.9, t), [x]);
  }
  // float32: 0.1 becomes the nearest float32 first, as on the CPU.
  const x = tensor([1, 3], { dtype: 'float32' });
  assert.deepEqual(Array.from(x.to('cuda').mul(0.1).toArray()), Array.from(x.mul(0.1).data));
});

test('unary ops and clamp on the device match the CPU, forward and VJP', () => {
  const ops: [string, (x: Tensor) => Tensor, boolean][] = [
    ['neg', (x) => x.neg(), false],
    ['exp', (x) => x.exp(), false],
    ['log', (x) => x.log(), true],
    ['sqrt', (x) => x.sqrt(), true],
    ['abs', (x) => x.abs(), false],
    ['sin', (x) => x.sin(), false],
    ['cos', (x) => x.cos(), false],
    ['tanh', (x) => x.tanh(), false],
    ['relu', (x) => x.relu(), false],
    ['sigmoid', (x) => x.sigmoid(), false],
    ['clamp(-0.5, 0.3)', (x) => x.clamp(-0.5, 0.3), false],
    ['clamp(min 0)', (x) => x.clamp(0), false],
    ['clamp(max 0.2)', (x) => x.clamp(null, 0.2), false],
  ];
  for (const dtype of DTYPES) {
    for (const shape of [[300], [17, 9], [1], []]) {
      for (const [name, f, pos] of ops) check(`${name} [${shape}]`, f, [rnd(shape, dtype, pos ? positive : undefined)]);
    }
  }
  // relu, abs and sigmoid at their edges: 0, ±∞ and NaN behave as on the CPU.
  const edge = tensor([0, -0, Infinity, -Infinity, NaN, 1e300, -1000]);
  for (const f of [(x: Tensor) => x.relu(), (x: Tensor) => x.abs(), (x: Tensor) => x.sigmoid(), (x: Tensor) => x.clamp(-1, 1)]) {
    assert.deepEqual(Array.from(f(edge.to('cuda')).toArray()), Array.from(f(edge).data));
  }
});

test('sum, mean, dot and norm on the device match the CPU, forward and VJP', () => {
  for (const dtype of DTYPES) {
    const x = rnd([6, 5, 4], dtype);
    check('sum()', (t) => t.sum(), [x]);
    check('mean()', (t) => t.mean(), [x]);
    check('sum(0)', (t) => t.sum(0), [x]);
    check('sum(1)', (t) => t.sum(1), [x]);
    check('sum(-1, keepdims)', (t) => t.sum(-1, true), [x]);
    check('sum([0, 2])', (t) => t.sum([0, 2]), [x]);
    check('mean([1, 2], keepdims)', (t) => t.mean([1, 2], true), [x]);
    check('mean(0)', (t) => t.mean(0), [x]);
    const m = rnd([300, 16], dtype);
    check('[300, 16].sum(0) (a bias gradient)', (t) => t.sum(0), [m]);
    check('[300, 16].mean(1)', (t) => t.mean(1), [m]);
    const v = rnd([1000], dtype);
    const w = rnd([1000], dtype);
    check('dot', (a, b) => dot(a, b), [v, w]);
    check('norm', (a) => norm(a), [v]);
    check('norm [3, 4]', (a) => a.norm(), [rnd([3, 4], dtype)]);
  }
  // The norm neither overflows nor underflows, and its gradient at 0 is 0.
  for (const s of [1e200, 1e-200]) {
    const big = tensor([3 * s, 4 * s]);
    assertClose([big.to('cuda').norm().item()], [5 * s], { rtol: 1e-15, atol: 0 });
  }
  const z = zeros([3]).to('cuda').requiresGrad_();
  const nz = norm(z);
  assert.equal(nz.item(), 0);
  nz.backward();
  assert.deepEqual(Array.from(z.grad!.toArray()), [0, 0, 0]);
});

test('full reductions stay on the device as 0-D tensors; a PCG-style update runs on them', () => {
  for (const dtype of DTYPES) {
    const r = rnd([50], dtype);
    const p = rnd([50], dtype);
    const x = rnd([50], dtype);
    // alpha = (r·r) / (p·p); x + alpha p; ‖r − alpha p‖ · 0.5
    const step = (rr: Tensor, pp: Tensor, xx: Tensor): Tensor => {
      const alpha = dot(rr, rr).div(dot(pp, pp));
      assert.deepEqual(alpha.shape, []);
      return xx.add(pp.mul(alpha)).sub(rr.mul(alpha).mul(0.5)).norm().mul(0.5);
    };
    check('pcg step', step, [r, p, x]);
  }
});

test('matmul on the device: dense × dense (GEMM) in every 1-D / 2-D combination, and the sparse dispatch', () => {
  for (const dtype of DTYPES) {
    const tol = dtype === 'float64' ? TOL.float64 : { rtol: 1e-4, atol: 1e-5 };
    for (const [m, k, n] of [[37, 23, 41], [1, 1, 1], [70, 130, 65], [5, 0, 3]]) {
      check(`[${m}, ${k}] x [${k}, ${n}]`, (a, b) => a.matmul(b), [rnd([m, k], dtype), rnd([k, n], dtype)], tol);
      check(`[${k}] x [${k}, ${n}]`, (a, b) => matmul(a, b), [rnd([k], dtype), rnd([k, n], dtype)], tol);
      check(`[${m}, ${k}] x [${k}]`, (a, b) => matmul(a, b), [rnd([m, k], dtype), rnd([k], dtype)], tol);
      check(`[${k}] x [${k}]`, (a, b) => matmul(a, b), [rnd([k], dtype), rnd([k], dtype)], tol);
    }
    // A GCN layer: relu(A (X W) + b), A sparse; and D × A with A sparse on the right.
    const A = randomCsr(30, 30, { density: 0.15, seed: 4, dtype });
    const Ad = A.to('cuda');
    const layer = (X: Tensor, W: Tensor, b: Tensor): Tensor => {
      const Aop = X.device === 'cuda' ? Ad : A;
      return matmul(Aop, X.matmul(W)).add(b).relu().mean();
    };
    check('gcn layer', layer, [rnd([30, 8], dtype), rnd([8, 4], dtype), rnd([4], dtype)], tol);
    check('D x A (sparse right)', (D) => matmul(D, D.device === 'cuda' ? Ad : A), [rnd([7, 30], dtype)], tol);
    check('d x A (1-D, sparse right)', (d) => matmul(d, d.device === 'cuda' ? Ad : A), [rnd([30], dtype)], tol);
    check('A x d (spmv)', (d) => matmul(d.device === 'cuda' ? Ad : A, d), [rnd([30], dtype)], tol);
  }
});

test('transpose and the dtype cast on the device, differentiable', () => {
  for (const dtype of DTYPES) {
    for (const shape of [[37, 70], [1, 5], [5, 1], [0, 3]]) {
      check(`[${shape}].T`, (x) => x.T.mul(x.T), [rnd(shape, dtype)]);
      check(`[${shape}].transpose()`, (x) => x.transpose(), [rnd(shape, dtype)]);
    }
  }
  const x = rnd([9, 4], 'float64');
  check('to(float32)', (t) => t.to('float32').mul(t.to('float32')), [x], TOL.float32);
  check('to(float64)', (t) => t.to('float64').exp(), [rnd([9, 4], 'float32')]);
  // Rounds as the CPU does (to nearest), and the gradient comes back in x's dtype on the device.
  const d = x.to('cuda').requiresGrad_();
  const f = d.to('float32');
  assert.equal(f.dtype, 'float32');
  assert.equal(f.device, 'cuda');
  assert.deepEqual(Array.from(f.toArray()), Array.from(x.to('float32').data));
  assert.equal(d.to('float64'), d);
  f.sum().backward();
  assert.equal(d.grad!.dtype, 'float64');
  assert.equal(d.grad!.device, 'cuda');
});

test('empty tensors: zero-size outputs, sums of nothing are 0, the mean of nothing is NaN', () => {
  for (const dtype of DTYPES) {
    check('[0, 3] + [3]', (a, b) => a.add(b), [rnd([0, 3], dtype), rnd([3], dtype)]);
    check('[0, 3] * [3] (b gets a zero gradient)', (a, b) => a.mul(b), [rnd([0, 3], dtype), rnd([3], dtype)]);
    check('[0].relu()', (a) => a.relu(), [rnd([0], dtype)]);
    check('[0, 3].sum(0)', (a) => a.sum(0), [rnd([0, 3], dtype)]);
    check('[0].sum()', (a) => a.sum(), [rnd([0], dtype)]);
    check('[0].dot', (a, b) => dot(a, b), [rnd([0], dtype), rnd([0], dtype)]);
    check('[0].norm', (a) => a.norm(), [rnd([0], dtype)]);
    check('[3, 0].sum(1)', (a) => a.sum(1), [rnd([3, 0], dtype)]);
    const m = zeros([3, 0], { dtype }).to('cuda').mean(1);
    assert.equal(m.device, 'cuda');
    assert.deepEqual(Array.from(m.toArray()).map(Number.isNaN), [true, true, true]);
    assert.deepEqual(Array.from(zeros([0, 4], { dtype }).to('cuda').mean(0).toArray()).map(Number.isNaN), [true, true, true, true]);
  }
});

test('mixed devices and mixed dtypes are refused by name', () => {
  const c = tensor([1, 2, 3]);
  const d = c.to('cuda');
  assert.throws(() => c.add(d), { message: 'add: mixed devices: a is on cpu but b is on cuda' });
  assert.throws(() => d.mul(c), { message: 'mul: mixed devices: a is on cuda but b is on cpu' });
  assert.throws(() => pow(d, c), { message: 'pow: mixed devices: a is on cuda but b is on cpu' });
  assert.throws(() => dot(c, d), { message: 'dot: mixed devices: a is on cpu but b is on cuda' });
  assert.throws(() => matmul(tensor([[1, 2, 3]]), d.reshape([3, 1])), { message: 'matmul: mixed devices: a is on cpu but b is on cuda' });
  assert.throws(() => matmul(d.reshape([1, 3]), CsrMatrix.eye(3)), { message: 'matmul: mixed devices: a is on cuda but b is on cpu' });
  assert.throws(() => d.add(tensor([1, 2, 3], { dtype: 'float32' }).to('cuda')), {
    message: 'add: mixed dtypes: a is float64 but b is float32 (convert one with .to())',
  });
  assert.throws(() => d.add(tensor([1, 2]).to('cuda')), {
    message: 'add: shapes a [3] and b [2] cannot be broadcast together (size 3 vs 2 in dimension 0 of the result)',
  });
  // where, gatherRows and concat on the device: device-select.test.ts.
  assert.throws(() => d.transpose(), { message: 'transpose: expected a 2-D tensor but x has shape [3]' });
});

test('device results are deterministic: the same inputs give the same bits', () => {
  const x = rnd([500, 16], 'float32').to('cuda');
  const b = rnd([16], 'float32').to('cuda');
  const run = (): number[] => Array.from(x.add(b).relu().sum(0).toArray()).concat(x.norm().item(), x.mean().item());
  assert.deepEqual(run(), run());
});

test('a GCN-style and a PCG-style loop in scope() leave device memory flat', () => {
  const A = randomCsr(40, 40, { density: 0.1, seed: 8 }).to('cuda');
  const X = rnd([40, 6], 'float64').to('cuda');
  const W = rnd([6, 3], 'float64').to('cuda').requiresGrad_();
  const bias = rnd([3], 'float64').to('cuda').requiresGrad_();
  const gcnStep = (): void => scope(() => {
    const h = matmul(A, X.matmul(W)).add(bias).relu();
    h.mul(h).mean().backward();
    W.zeroGrad();
    bias.zeroGrad();
  });
  let xk = zeros([40]).to('cuda');
  const r0 = rnd([40], 'float64').to('cuda');
  const pcgStep = (): void => {
    const next = scope(() => {
      const p = r0.sub(spmv(A, xk));
      const alpha = dot(p, p).div(dot(p, spmv(A, p)).add(1));
      return xk.add(p.mul(alpha).mul(0.5)).clamp(-10, 10).div(p.norm().add(1)).reshape([40, 1]).T.reshape([40]);
    });
    xk.dispose();
    xk = next;
  };
  gcnStep();
  pcgStep();
  const live = deviceMemory().liveBytes;
  for (let k = 0; k < 20; k++) {
    gcnStep();
    pcgStep();
  }
  assert.equal(deviceMemory().liveBytes, live);
});
