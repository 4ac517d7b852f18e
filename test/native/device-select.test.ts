// gatherRows, concat, where and nllLoss on the device ('cuda'), built from 0/1
// selection matrices (ops/select.ts) and SpDMM, against the same ops on the
// CPU: forward and VJP (a random seed gradient), float64 (tight) and float32;
// repeated and empty index lists, 1-D/2-D/3-D inputs, every concat axis,
// broadcasting, NaN/Inf in where's branch not taken, ignored nllLoss targets;
// error messages as on the CPU, mixed devices, memory in scope() loops.
// Without a GPU this runs on the emulated device (the CPU kernels behind the
// device bindings), so it checks the TypeScript device path, not CUDA kernels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concat, deviceMemory, gatherRows, logSoftmax, nllLoss, randn, scope, Tensor, tensor, where } from '../../native/lib/index.js';
import type { DType } from '../../native/lib/index.js';
import { checkAgainstCpu, testDevice } from '../device-helpers.js';
import { assertClose } from '../helpers.js';

testDevice('device-select.test.ts');

const DTYPES = ['float64', 'float32'] as const;
const TOL: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-13, atol: 1e-14 },
  float32: { rtol: 2e-5, atol: 2e-6 }, // the device sums a gradient in float, the CPU in double
};

let seed = 1;
function rnd(shape: readonly number[], dtype: DType): Tensor {
  return randn(shape, { seed: seed++, dtype });
}

/** The same entries with some replaced (a NaN or ±Inf at chosen positions). */
function withEntries(t: Tensor, at: Record<number, number>): Tensor {
  const d = Array.from(t.data);
  for (const [i, v] of Object.entries(at)) d[Number(i)] = v;
  return tensor(d, { dtype: t.dtype, shape: t.shape });
}

/** The device check() is running fn on: here(t) moves a non-differentiated input (where's cond) there. */
let running: 'cpu' | 'cuda' = 'cpu';
const here = (t: Tensor): Tensor => t.to(running);

/** fn on the CPU and on the device agree, forward and VJP (checkAgainstCpu). */
function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[]): void {
  checkAgainstCpu(name, fn, inputs, {
    tol: TOL[inputs[0]!.dtype],
    seedGradient: rnd,
    onRun: (device) => {
      running = device;
    },
  });
}

/** fn throws on the CPU input and on its device copy, with the same message; returns it. */
function sameError(fn: (x: Tensor) => unknown, x: Tensor): string {
  let cpuMsg = '';
  assert.throws(() => fn(x), (e: Error) => ((cpuMsg = e.message), true));
  const xd = x.to('cuda');
  assert.throws(() => fn(xd), (e: Error) => e.message === cpuMsg, `device message differs from the CPU's: ${cpuMsg}`);
  return cpuMsg;
}

test('gatherRows on the device: 1-D/2-D/3-D, repeated and empty index lists; repeated rows accumulate in the VJP', () => {
  for (const dtype of DTYPES) {
    check('gatherRows 1-D', (x) => gatherRows(x, [3, 0, 3, 3, 6]), [rnd([7], dtype)]);
    check('gatherRows 2-D', (x) => gatherRows(x, new Int32Array([4, 1, 1, 0, 4, 2])), [rnd([5, 3], dtype)]);
    check('gatherRows 3-D', (x) => gatherRows(x, [2, 2, 0]), [rnd([3, 4, 2], dtype)]);
    check('gatherRows every row reversed', (x) => gatherRows(x, [39, 38, 37, 3, 2, 1, 0]), [rnd([40, 33], dtype)]);
    check('gatherRows empty list', (x) => gatherRows(x, []), [rnd([4, 3], dtype)]);
    check('gatherRows 1x1', (x) => gatherRows(x, [0, 0]), [rnd([1, 1], dtype)]);
    check('gatherRows no columns', (x) => gatherRows(x, [1, 1]), [rnd([3, 0], dtype)]);
    check('gatherRows no rows', (x) => gatherRows(x, []), [rnd([0, 3], dtype)]);
  }
  // By hand: rows 2, 0, 2 of a [3, 2] matrix; row 2's gradient is counted twice.
  const x = tensor([[1, 2], [3, 4], [5, 6]]).to('cuda').requiresGrad_();
  const y = gatherRows(x, [2, 0, 2]);
  assert.deepEqual(y.toList(), [[5, 6], [1, 2], [5, 6]]);
  y.backward(tensor([[1, 10], [100, 1000], [2, 20]]).to('cuda'));
  assert.deepEqual(x.grad!.toList(), [[100, 1000], [0, 0], [3, 30]]);
  // A NaN in a row not gathered does not leak, forward or backward.
  check('gatherRows past a NaN row', (t) => gatherRows(t, [0, 2]), [withEntries(rnd([3, 2], 'float64'), { 2: NaN, 3: Infinity })]);
});

test('gatherRows: a changed index array in place is seen; an array reused keeps its selection', () => {
  const x = rnd([6, 2], 'float64');
  const xd = x.to('cuda');
  const idx = [1, 2, 3];
  assert.deepEqual(gatherRows(xd, idx).toList(), gatherRows(x, idx).toList());
  idx[1] = 5;
  assert.deepEqual(gatherRows(xd, idx).toList(), gatherRows(x, idx).toList());
  const before = deviceMemory().liveBytes;
  scope(() => gatherRows(xd, idx).sum().item());
  assert.equal(deviceMemory().liveBytes, before);
});

test('concat on the device: every axis of 1-D/2-D/3-D inputs, one and several inputs, the VJP gives each input its slice', () => {
  for (const dtype of DTYPES) {
    check('concat 1-D one', (a) => concat([a]), [rnd([5], dtype)]);
    check('concat 1-D', (a, b) => concat([a, b, a]), [rnd([5], dtype), rnd([2], dtype)]);
    check('concat 2-D axis 0', (a, b) => concat([a, b]), [rnd([3, 4], dtype), rnd([1, 4], dtype)]);
    check('concat 2-D axis 1', (a, b, c) => concat([a, b, c], 1), [rnd([3, 4], dtype), rnd([3, 1], dtype), rnd([3, 2], dtype)]);
    check('concat 2-D axis -1 one', (a) => concat([a], -1), [rnd([3, 4], dtype)]);
    for (const axis of [0, 1, 2, -1]) {
      const ax = axis < 0 ? 3 + axis : axis;
      const shape = (n: number): number[] => [2, 3, 4].map((d, k) => (k === ax ? n : d));
      check(`concat 3-D axis ${axis}`, (a, b, c) => concat([a, b, c], axis), [rnd(shape(2), dtype), rnd(shape(1), dtype), rnd(shape(3), dtype)]);
      check(`concat 3-D axis ${axis} with an empty slice`, (a, b) => concat([a, b, a], axis), [rnd(shape(2), dtype), rnd(shape(0), dtype)]);
    }
    check('concat rows of a wide matrix', (a, b) => concat([a, b]), [rnd([50, 40], dtype), rnd([30, 40], dtype)]);
    check('concat of empties', (a, b) => concat([a, b], 1), [rnd([0, 2], dtype), rnd([0, 3], dtype)]);
  }
  // By hand, and NaN / Inf stay in their own slices.
  const a = tensor([[1, 2], [3, 4]]).to('cuda');
  const c = tensor([[7], [8]]).to('cuda');
  assert.deepEqual(concat([c, a, c], -1).toList(), [[7, 1, 2, 7], [8, 3, 4, 8]]);
  check('concat NaN and Inf', (p, q) => concat([p, q], 1), [withEntries(rnd([2, 2], 'float64'), { 1: NaN }), withEntries(rnd([2, 3], 'float64'), { 3: -Infinity })]);
});

test('where on the device: broadcasting, every kind of cond, number branches', () => {
  const condOf = (shape: number[]): Tensor => tensor(Array.from(rnd(shape, 'float64').data, (v) => (v > 0 ? 1 : 0)), { shape });
  for (const dtype of DTYPES) {
    const c23 = condOf([2, 3]);
    const c21 = condOf([2, 1]);
    const c411 = condOf([4, 1, 1]);
    const c3f = condOf([3]).to('float32');
    const c03 = condOf([0, 3]);
    const c300 = condOf([300, 1]);
    check('where same shapes', (a, b) => where(here(c23), a, b), [rnd([2, 3], dtype), rnd([2, 3], dtype)]);
    check('where b broadcast', (a, b) => where(here(c23), a, b), [rnd([2, 3], dtype), rnd([3], dtype)]);
    check('where cond broadcast', (a, b) => where(here(c21), a, b), [rnd([2, 3], dtype), rnd([2, 3], dtype)]);
    check('where all broadcast', (a, b) => where(here(c411), a, b), [rnd([1, 5, 1], dtype), rnd([1, 6], dtype)]);
    check('where float32 cond', (a, b) => where(here(c3f), a, b), [rnd([2, 3], dtype), rnd([2, 3], dtype)]);
    check('where 0-D', (a, b) => where(here(tensor(1)), a, b), [rnd([], dtype), rnd([], dtype)]);
    check('where empty', (a, b) => where(here(c03), a, b), [rnd([3], dtype), rnd([0, 3], dtype)]);
    const full = [true, false, false, true, true, false];
    check('where boolean[]', (a, b) => where(full, a, b), [rnd([2, 3], dtype), rnd([3], dtype)]);
    check('where Uint8Array mask over the last axis', (a, b) => where(new Uint8Array([0, 1, 1]), a, b), [rnd([4, 3], dtype), rnd([4, 1], dtype)]);
    check('where number b', (a) => where(full, a, -1.5), [rnd([2, 3], dtype)]);
    check('where number a', (b) => where(here(c23), 2, b), [rnd([3], dtype)]);
    check('where large', (a, b) => where(here(c300), a, b), [rnd([300, 40], dtype), rnd([40], dtype)]);
  }
  // Cond on the host and on the device give the same tensor, as on the CPU.
  const a = tensor([[1, 2, 3], [4, 5, 6]]).to('cuda');
  const b = tensor([10, 20, 30]).to('cuda');
  assert.deepEqual(where(tensor([[1, 0, 1], [0, 1, 0]]).to('cuda'), a, b).toList(), [[1, 20, 3], [10, 5, 30]]);
  assert.deepEqual(where([true, false, false, false, true, true], a, b).toList(), [[1, 20, 30], [10, 5, 6]]);
  assert.deepEqual(where(new Uint8Array([0, 1, 0]), a, 0).toList(), [[0, 2, 0], [0, 5, 0]]);
  assert.deepEqual(where(tensor([[1], [0]]).to('cuda'), a, -1).toList(), [[1, 2, 3], [-1, -1, -1]]);
});

test('where on the device: NaN and Inf in the branch not taken do not leak, forward or backward', () => {
  const cond = [true, false, true, false, true, false];
  for (const dtype of DTYPES) {
    const a = withEntries(rnd([2, 3], dtype), { 1: NaN, 3: Infinity, 5: -Infinity });
    const b = withEntries(rnd([2, 3], dtype), { 0: NaN, 2: Infinity, 4: -Infinity });
    check('where NaN/Inf not taken', (p, q) => where(cond, p, q), [a, b]);
    check('where NaN/Inf not taken, device cond', (p, q) => where(here(tensor([[1, 0, 1], [0, 1, 0]])), p, q), [a, b]);
    check('where NaN number not taken', (p) => where(cond, p, NaN), [withEntries(rnd([2, 3], dtype), { 1: Infinity })]);
    // Taken, they come through as they are.
    check('where NaN/Inf taken', (p, q) => where(cond, q, p), [a, b]);
  }
  const y = where([true, false], tensor([1, NaN]).to('cuda'), tensor([Infinity, 2]).to('cuda'));
  assert.deepEqual(y.toList(), [1, 2]);
});

test('where on the device: a host cond changed in place is seen', () => {
  const cond = [true, false, true];
  const a = tensor([1, 2, 3]).to('cuda');
  assert.deepEqual(where(cond, a, 0).toList(), [1, 0, 3]);
  cond[0] = false;
  assert.deepEqual(where(cond, a, 0).toList(), [0, 0, 3]);
  assert.deepEqual(where(cond, a.reshape([1, 3]), tensor([[5], [6]]).to('cuda')).toList(), [[5, 5, 3], [6, 6, 3]]);
});

test('nllLoss on the device: all rows, repeated rows, ignored targets', () => {
  for (const dtype of DTYPES) {
    const targets = new Int32Array([2, 0, -1, 4, 1, -1, 3]); // −1: unlabelled, never selected
    check('nllLoss selected rows', (x) => nllLoss(x, targets, [0, 1, 3, 4, 6]), [rnd([7, 5], dtype)]);
    check('nllLoss repeated rows', (x) => nllLoss(x, targets, new Int32Array([6, 0, 0, 6, 6, 1])), [rnd([7, 5], dtype)]);
    check('nllLoss all rows', (x) => nllLoss(x, [1, 0, 2, 2]), [rnd([4, 3], dtype)]);
    check('nllLoss 1x1', (x) => nllLoss(x, [0]), [rnd([1, 1], dtype)]);
    check('nllLoss of logSoftmax', (x) => nllLoss(logSoftmax(x), [3, 1, 0, 2, 9, 8], [5, 4, 4, 0]), [rnd([6, 10], dtype)]);
  }
  // By hand: −(x[0, 1] + 2 x[1, 0]) / 3.
  const x = tensor([[1, 2], [3, 4]]).to('cuda').requiresGrad_();
  const loss = nllLoss(x, [1, 0], [0, 1, 1]);
  assert.deepEqual(loss.shape, []);
  assert.equal(loss.item(), -8 / 3);
  loss.backward(tensor(3).to('cuda'));
  assert.deepEqual(x.grad!.toList(), [[0, -1], [-2, 0]]);
});

test('bad indices, shapes and arguments fail on the device as on the CPU', () => {
  const x = rnd([3, 2], 'float64');
  assert.equal(sameError((t) => gatherRows(t, [0, 3]), x), 'gatherRows: indices[1] = 3 is out of range for 3 rows of x (shape [3, 2])');
  assert.equal(sameError((t) => gatherRows(t, [-1]), x), 'gatherRows: indices[0] = -1 is out of range for 3 rows of x (shape [3, 2])');
  assert.equal(sameError((t) => gatherRows(t, [0.5] as never), x), 'gatherRows: indices[0] = number 0.5 is not an integer');
  sameError((t) => gatherRows(t, 'a' as never), x);
  sameError((t) => gatherRows(t.sum(), [0]), x);

  assert.equal(sameError((t) => concat([t, t.reshape([2, 3])]), x), 'concat: tensors[1] has shape [2, 3] but tensors[0] has shape [3, 2] (only axis 0 may differ)');
  sameError((t) => concat([t, t.to('float32')]), x);
  assert.equal(sameError((t) => concat([t], 2), x), 'concat: axis 2 is out of range for a tensor of shape [3, 2]');
  sameError((t) => concat([t.sum()]), x);
  sameError((t) => concat([t, t.reshape([6])]), x);
  sameError((t) => concat([t, 'a' as never]), x);

  sameError((t) => where([true, false, true], t, 0), x);
  sameError((t) => where([1, 'a'] as never, t, 0), x);
  sameError((t) => where('yes' as never, t, 0), x);
  sameError((t) => where([true], t, 'b' as never), x);
  sameError((t) => where([true], t, t.to('float32')), x);
  sameError((t) => where([true, false, true], t, t.reshape([2, 3])), x);

  const logits = tensor([[1, 2], [3, 4]]);
  for (const bad of [
    (t: Tensor) => nllLoss(t, [0, 2]),
    (t: Tensor) => nllLoss(t, [0]),
    (t: Tensor) => nllLoss(t, [0, 1], [2]),
    (t: Tensor) => nllLoss(t, [0, 1], []),
    (t: Tensor) => nllLoss(t, [0, -1]),
    (t: Tensor) => nllLoss(t, [0, 0.5]),
    (t: Tensor) => nllLoss(t, new Float64Array([0, 1]) as never),
    (t: Tensor) => nllLoss(t.reshape([4]), [0]),
  ]) sameError(bad, logits);
  assert.equal(sameError((t) => nllLoss(t, [0, -1]), logits), 'nllLoss: targets[1] = -1 is not a class id in [0, 2)');
});

test('where on the device refuses a result beyond int32 indices before building anything', () => {
  const cond = tensor(new Float64Array(65536), { shape: [65536, 1] }).to('cuda');
  const a = tensor(new Float64Array(65536), { shape: [1, 65536] }).to('cuda');
  const message = 'where: the size of the result (4294967296) exceeds 2^31 − 1, the most that int32 indices reach on cuda';
  assert.throws(() => where(cond, a, 0), { message });
  assert.throws(() => where(new Uint8Array(65536), a.reshape([65536]), a.reshape([65536, 1])), { message });
});

test('mixed devices are refused by name', () => {
  const c = tensor([[1, 2], [3, 4]]);
  const d = c.to('cuda');
  assert.throws(() => concat([c, d]), { message: 'concat: mixed devices: tensors[0] is on cpu but tensors[1] is on cuda' });
  assert.throws(() => concat([d, d, c], 1), { message: 'concat: mixed devices: tensors[0] is on cuda but tensors[2] is on cpu' });
  assert.throws(() => where([true, false], c, d), { message: 'where: mixed devices: a is on cpu but b is on cuda' });
  assert.throws(() => where(tensor([1, 0]), d, d), { message: 'where: mixed devices: cond is on cpu but a is on cuda' });
  assert.throws(() => where(tensor([1, 0]).to('cuda'), c, 0), { message: 'where: mixed devices: cond is on cuda but a is on cpu' });
  assert.throws(() => where(tensor([1, 0]).to('cuda'), 0, c), { message: 'where: mixed devices: cond is on cuda but b is on cpu' });
});

test('forward-only calls (no tape) work and leave nothing behind but the cached selections', () => {
  const x = rnd([5, 3], 'float32').to('cuda');
  const idx = [4, 4, 1];
  const cond = new Uint8Array([1, 0, 1]);
  const targets = [0, 1, 2, 0, 1];
  const run = (): number[] => [
    gatherRows(x, idx).sum().item(), concat([x, x], 1).sum().item(), where(cond, x, 0).sum().item(), nllLoss(x, targets).item(),
  ];
  const first = scope(run); // builds the cached selections
  const before = deviceMemory().liveBytes;
  assert.deepEqual(scope(run), first);
  assert.equal(deviceMemory().liveBytes, before);
});

test('a training-style loop of all four ops in scope() leaves device memory flat', () => {
  const X = rnd([30, 4], 'float64').to('cuda');
  const W = rnd([4, 5], 'float64').to('cuda').requiresGrad_();
  const batch = new Int32Array([3, 7, 7, 12, 29, 0]);
  const targets = new Int32Array(12).fill(-1).map((_, i) => (i % 3 === 0 ? -1 : i % 5));
  const rows = [1, 2, 4, 5, 5, 7, 8, 10, 11];
  const mask = Array.from({ length: 12 * 10 }, (_, i) => i % 7 !== 3);
  const step = (): number => scope(() => {
    const h = gatherRows(X, batch).matmul(W); // [6, 5]
    const both = concat([h, h.mul(2)], 0); // [12, 5]
    const wide = concat([both, both.relu()], 1); // [12, 10]
    const masked = where(mask, wide, -1); // host cond: cached maps
    const leaky = where(masked.relu(), masked, masked.mul(0.01)); // device cond: maps freed with the scope
    const loss = nllLoss(logSoftmax(leaky), targets, rows);
    loss.backward();
    W.zeroGrad();
    return loss.item();
  });
  const first = step();
  const live = deviceMemory().liveBytes;
  for (let k = 0; k < 20; k++) assert.equal(step(), first);
  assert.equal(deviceMemory().liveBytes, live, 'device memory grew');
});
