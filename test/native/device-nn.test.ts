// The nn ops and the optimizers on the device ('cuda'): logSoftmax, softmax,
// crossEntropy and dropout forward and VJP, and SGD / Adam / AdamW stepping
// device parameters, each against the CPU op or optimizer on the same inputs
// (the CPU ones are checked against hand references in dense.test.ts and
// optim.test.ts); dropout's mask against a Philox written out here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Adam, AdamW, CsrMatrix, crossEntropy, deviceMemory, dropout, Generator, keep, logSoftmax, noGrad, SGD, scope,
  softmax, Tensor, tensor,
} from '../../native/lib/index.js';
import type { DType } from '../../native/lib/index.js';
import { testDevice } from '../device-helpers.js';
import { assertClose, randomCsr } from '../helpers.js';

testDevice('device-nn.test.ts');

const DTYPES = ['float64', 'float32'] as const;
const tolOf = (dtype: DType): { rtol: number; atol: number } => (dtype === 'float64' ? { rtol: 1e-13, atol: 1e-14 } : { rtol: 2e-5, atol: 2e-6 });

/** Uniform values in [lo, hi) from a seeded generator. */
function uniform(shape: number[], seed: number, lo = -3, hi = 3, dtype: DType = 'float64'): Tensor {
  const gen = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform()), { shape, dtype });
}

/** A leaf on the device holding x's values. */
function deviceLeaf(x: Tensor): Tensor {
  return x.to('cuda').requiresGrad_();
}

test('logSoftmax and softmax on the device match the CPU, forward and VJP (rows wider than a warp, 1x1, empty, 1-D, 3-D)', () => {
  for (const dtype of DTYPES) {
    const tol = tolOf(dtype);
    for (const [k, shape] of [[37, 45], [1, 1], [5, 0], [0, 4], [70], [2, 3, 40], [64, 3]].entries()) {
      for (const op of [logSoftmax, softmax]) {
        const x = uniform(shape, 10 + k, -4, 4, dtype).requiresGrad_();
        const xd = deviceLeaf(x.detach());
        const y = op(x);
        const yd = op(xd);
        assert.equal(yd.device, 'cuda');
        assert.deepEqual(yd.shape, x.shape);
        assertClose(yd.toArray(), y.data, { ...tol, msg: `${op.name} ${dtype} [${shape}] forward` });
        const g = uniform(shape, 100 + k, -1, 1, dtype);
        y.backward(g);
        yd.backward(g.to('cuda'));
        assert.equal(xd.grad!.device, 'cuda');
        assertClose(xd.grad!.toArray(), x.grad!.data, { ...tol, msg: `${op.name} ${dtype} [${shape}] VJP` });
      }
    }
  }
});

test('logSoftmax on the device is stable for large logits and passes −∞ rows and NaN through as the CPU does', () => {
  const rows = [[1000, 1001, 1002], [-1000, -1000, -1000], [-Infinity, -Infinity, -Infinity], [0, NaN, 1], [Infinity, 0, 1]];
  const x = tensor(rows);
  for (const op of [logSoftmax, softmax]) {
    const got = op(x.to('cuda')).toArray();
    const want = op(x).data;
    for (let i = 0; i < want.length; i++) {
      // ±∞ and NaN exactly where the CPU has them, the rest close
      if (Number.isFinite(want[i])) assertClose([got[i]!], [want[i]!], { rtol: 1e-14, atol: 1e-15, msg: `${op.name} at ${i}` });
      else assert.ok(Object.is(got[i], want[i]), `${op.name} at ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
  const l = logSoftmax(x.to('cuda')).toArray();
  assertClose(l.subarray(0, 3), [-2 - Math.log1p(Math.exp(-1) + Math.exp(-2)), -1 - Math.log1p(Math.exp(-1) + Math.exp(-2)), -Math.log1p(Math.exp(-1) + Math.exp(-2))], { rtol: 1e-14 });
});

test('crossEntropy on the device matches the CPU over repeated selected rows, all rows, C wider than a warp', () => {
  for (const dtype of DTYPES) {
    const tol = tolOf(dtype);
    for (const [N, C, seed] of [[50, 7, 1], [40, 33, 2], [1, 1, 3], [3, 100, 4]] as const) {
      const gen = new Generator(seed);
      const targets = Int32Array.from({ length: N }, (_, i) => (i % 5 === 4 ? -1 : gen.integer(C))); // −1: unlabelled
      const labelled = [...Array(N).keys()].filter((i) => targets[i]! >= 0);
      const rows = Int32Array.from({ length: 2 * labelled.length + 1 }, (_, k) => labelled[(k * 7) % labelled.length]!); // repeats
      const cases: [string, Int32Array | number[] | undefined, Int32Array | number[]][] = [
        ['selected rows', rows, targets],
        ['rows as plain arrays', [...rows], [...targets]],
      ];
      if (labelled.length === N) cases.push(['all rows', undefined, targets]);
      for (const [what, r, t] of cases) {
        const x = uniform([N, C], 20 + seed, -5, 5, dtype).requiresGrad_();
        const xd = deviceLeaf(x.detach());
        const loss = crossEntropy(x, t, r);
        const lossd = crossEntropy(xd, t, r);
        assert.equal(lossd.device, 'cuda');
        assert.deepEqual(lossd.shape, []);
        assertClose([lossd.item()], [loss.item()], { ...tol, msg: `${dtype} ${N}x${C} ${what} loss` });
        loss.backward();
        lossd.backward();
        assertClose(xd.grad!.toArray(), x.grad!.data, { ...tol, msg: `${dtype} ${N}x${C} ${what} VJP` });
      }
    }
  }
});

test('crossEntropy on the device: the VJP scales with the seed gradient, and a rows array changed in place is re-uploaded', () => {
  const x = uniform([6, 4], 3);
  const targets = new Int32Array([0, 1, 2, 3, 0, 1]);
  const rows = new Int32Array([0, 2, 2, 5]);
  const xd = deviceLeaf(x);
  const first = crossEntropy(xd, targets, rows);
  rows[1] = 4; // in place, after the first call cached [0, 2, 2, 5]
  const second = crossEntropy(xd, targets, rows);
  assertClose([first.item()], [crossEntropy(x, targets, [0, 2, 2, 5]).item()], { rtol: 1e-14 });
  assertClose([second.item()], [crossEntropy(x, targets, [0, 4, 2, 5]).item()], { rtol: 1e-14 });
  // The first loss's VJP still uses the rows it was computed with.
  first.backward(tensor(3).to('cuda'));
  const ref = x.detach().requiresGrad_();
  crossEntropy(ref, targets, [0, 2, 2, 5]).backward(tensor(3));
  assertClose(xd.grad!.toArray(), ref.grad!.data, { rtol: 1e-14, atol: 1e-15 });
});

test('crossEntropy on the device checks its arguments as on the CPU', () => {
  const xd = tensor([[1, 2], [3, 4]]).to('cuda');
  assert.throws(() => crossEntropy(xd, [0, 2]), { message: 'crossEntropy: targets[1] = 2 is not a class id in [0, 2)' });
  assert.throws(() => crossEntropy(xd, [0, 1], [2]), { message: 'crossEntropy: rows[0] = 2 is out of range for 2 rows' });
  assert.throws(() => crossEntropy(xd, [0, 1], []), { message: 'crossEntropy: no rows selected (the mean over zero rows is undefined); input has shape [2, 2]' });
  assert.throws(() => crossEntropy(tensor([1, 2]).to('cuda'), [0]), { message: 'crossEntropy: expected a 2-D input [rows, classes] but it has shape [2]' });
  // nllLoss on the device: device-select.test.ts.
});

/** Philox4x32-10 uniform for element i of the draw (seed, offset), as body::philox_uniform (dense_bodies.h). */
function philoxUniform(seed: bigint, offset: bigint, i: bigint): number {
  const M = 0xffffffffn;
  let c = [i & M, (i >> 32n) & M, offset & M, (offset >> 32n) & M] as [bigint, bigint, bigint, bigint];
  let k0 = seed & M;
  let k1 = (seed >> 32n) & M;
  for (let round = 0; round < 10; round++) {
    const p0 = 0xd2511f53n * c[0];
    const p1 = 0xcd9e8d57n * c[2];
    c = [(p1 >> 32n) ^ c[1] ^ k0, p1 & M, (p0 >> 32n) ^ c[3] ^ k1, p0 & M];
    k0 = (k0 + 0x9e3779b9n) & M;
    k1 = (k1 + 0xbb67ae85n) & M;
  }
  return Number(((c[0] >> 5n) << 26n) | (c[1] >> 6n)) / 2 ** 53;
}

test('dropout on the device: the mask is Philox keyed by four draws of the generator, reproducible per seed', () => {
  const n = 300;
  const x = tensor(new Float64Array(n).fill(1)).to('cuda');
  const p = 0.3;
  const out = dropout(x, p, { seed: 7 }).toArray();
  const gen = new Generator(7);
  const [seedLo, seedHi, offsetLo, offsetHi] = [gen.nextUint32(), gen.nextUint32(), gen.nextUint32(), gen.nextUint32()];
  const seed = (BigInt(seedHi) << 32n) | BigInt(seedLo);
  const offset = (BigInt(offsetHi) << 32n) | BigInt(offsetLo);
  const want = Array.from({ length: n }, (_, i) => (philoxUniform(seed, offset, BigInt(i)) >= p ? 1 / (1 - p) : 0));
  assert.deepEqual([...out], want);
  // Same seed, same mask; a generator advances (two calls differ) and a fresh one repeats.
  assert.deepEqual([...dropout(x, p, { seed: 7 }).toArray()], want);
  assert.notDeepEqual([...dropout(x, p, { seed: 8 }).toArray()], want);
  const g1 = new Generator(9);
  const d1 = dropout(x, 0.5, { generator: g1 }).toArray();
  const d2 = dropout(x, 0.5, { generator: g1 }).toArray();
  assert.notDeepEqual([...d1], [...d2]);
  assert.deepEqual([...dropout(x, 0.5, { generator: new Generator(9) }).toArray()], [...d1]);
});

test('dropout on the device: p = 0 and training off are the identity, p = 1 zeros, kept fraction 1 − p, scale 1 / (1 − p), VJP on the same mask', () => {
  for (const dtype of DTYPES) {
    const n = 200_000;
    const x = uniform([400, 500], 5, 0.5, 2, dtype);
    const xd = deviceLeaf(x);
    assert.equal(dropout(xd, 0), xd);
    assert.equal(dropout(xd, 0.5, { training: false }), xd);
    assert.ok([...dropout(xd, 1, { seed: 1 }).toArray()].every((v) => v === 0));
    for (const p of [0.1, 0.5, 0.9]) {
      const y = dropout(xd, p, { seed: 11 });
      assert.equal(y.device, 'cuda');
      assert.deepEqual(y.shape, [400, 500]);
      const yh = y.toArray();
      const scale = dtype === 'float64' ? 1 / (1 - p) : Math.fround(1 / (1 - p));
      let kept = 0;
      for (let i = 0; i < n; i++) {
        if (yh[i] === 0) continue;
        kept++;
        const want = dtype === 'float64' ? x.data[i]! * scale : Math.fround(x.data[i]! * scale);
        if (yh[i] !== want) assert.fail(`${dtype} p=${p}: entry ${i} is ${yh[i]}, expected ${want}`);
      }
      // ±5 standard deviations of a binomial(n, 1 − p)
      assert.ok(Math.abs(kept / n - (1 - p)) < 5 * Math.sqrt((p * (1 - p)) / n), `${dtype} p=${p}: kept fraction ${kept / n}`);
      const g = uniform([400, 500], 6, -1, 1, dtype);
      y.backward(g.to('cuda'));
      const dx = xd.grad!.toArray();
      for (let i = 0; i < n; i++) {
        const want = yh[i] === 0 ? 0 : dtype === 'float64' ? g.data[i]! * scale : Math.fround(g.data[i]! * scale);
        if (dx[i] !== want) assert.fail(`${dtype} p=${p}: dx[${i}] is ${dx[i]}, expected ${want}`);
      }
      xd.zeroGrad();
    }
  }
});

// ---------------------------------------------------------------------------
// Optimizers

type Make = (params: (Tensor | CsrMatrix)[]) => SGD | Adam | AdamW;
const OPTIMIZERS: [string, Make][] = [
  ['SGD', (ps) => new SGD(ps, { lr: 0.1 })],
  ['SGD momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
  ['SGD momentum, dampening, weight decay', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 })],
  ['SGD Nesterov, weight decay', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
  ['SGD Nesterov', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.5, nesterov: true })],
  ['SGD weight decay', (ps) => new SGD(ps, { lr: 0.1, weightDecay: 0.2 })],
  ['Adam', (ps) => new Adam(ps, { lr: 0.01 })],
  ['Adam L2 weight decay', (ps) => new Adam(ps, { lr: 0.1, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 })],
  ['Adam amsgrad', (ps) => new Adam(ps, { lr: 0.1, amsgrad: true })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.05, weightDecay: 0.5 })],
  ['AdamW amsgrad', (ps) => new AdamW(ps, { lr: 0.05, amsgrad: true })],
];

test('each optimizer steps device parameters (a Tensor and a CsrMatrix) as the CPU optimizer does, steps inside scope()', () => {
  for (const dtype of DTYPES) {
    const tol = dtype === 'float64' ? { rtol: 1e-14, atol: 1e-15 } : { rtol: 1e-5, atol: 1e-6 };
    for (const [name, make] of OPTIMIZERS) {
      const w = uniform([300], 1, -1, 1, dtype).requiresGrad_();
      const A = randomCsr(40, 30, { density: 0.2, seed: 2, dtype });
      const Ad = A.to('cuda');
      A.values.requiresGrad = true;
      Ad.values.requiresGrad = true;
      const wd = deviceLeaf(w.detach());
      const cpu = make([w, A]);
      const dev = make([wd, Ad]);
      for (let step = 0; step < 4; step++) {
        // Gradients that grow and change sign, so amsgrad's max and the moments matter.
        const gw = uniform([300], 10 + step, -1 - step, 1 + step, dtype);
        const gA = uniform([A.nnz], 20 + step, -2, 2 + step, dtype);
        w.grad = gw;
        A.values.grad = gA;
        cpu.step();
        scope(() => {
          wd.grad = keep(gw.to('cuda'));
          Ad.values.grad = keep(gA.to('cuda'));
          dev.step(); // state made (first step) or used here must outlive the scope
          dev.zeroGrad();
        });
        assertClose(wd.toArray(), w.data, { ...tol, msg: `${name} ${dtype} step ${step + 1} (Tensor)` });
        assertClose(Ad.values.toArray(), A.values.data, { ...tol, msg: `${name} ${dtype} step ${step + 1} (CsrMatrix)` });
      }
      assert.equal(wd.device, 'cuda');
      assert.equal(Ad.values.device, 'cuda');
    }
  }
});

test('each optimizer steps an empty device parameter (no entries, so nothing changes) without error', () => {
  for (const [name, make] of OPTIMIZERS) {
    const w = tensor([]).to('cuda').requiresGrad_();
    const opt = make([w]);
    w.grad = tensor([]).to('cuda');
    assert.doesNotThrow(() => opt.step(), name);
    assert.deepEqual(w.toList(), [], name);
    opt.dispose();
  }
});

test('optimizers on the device: zeroGrad frees the gradients; a gradient on another device is an error', () => {
  const w = tensor([1, 2, 3]).to('cuda').requiresGrad_();
  const opt = new Adam([w]);
  const before = deviceMemory().liveBytes;
  w.grad = tensor([1, 1, 1]).to('cuda');
  assert.equal(deviceMemory().liveBytes - before, 24);
  opt.zeroGrad();
  assert.equal(w.grad, null);
  assert.equal(deviceMemory().liveBytes, before);
  w.grad = tensor([1, 1, 1]);
  assert.throws(() => opt.step(), { message: 'Adam: params[0] is on cuda but its grad is on cpu' });
});

test('a training loop on the device (dropout, logSoftmax, crossEntropy, backward, step, zeroGrad) in scope() keeps device memory flat and lowers the loss', () => {
  const N = 64;
  const C = 10;
  const targets = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);
  const rows = Int32Array.from({ length: 40 }, (_, k) => (k * 3) % N);
  const makers: [string, (w: Tensor) => SGD | Adam | AdamW][] = [
    ['SGD', (w) => new SGD([w], { lr: 0.5, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
    ['Adam amsgrad', (w) => new Adam([w], { lr: 0.05, amsgrad: true })],
    ['AdamW', (w) => new AdamW([w], { lr: 0.05 })],
  ];
  for (const [name, make] of makers) {
    const w = deviceLeaf(uniform([N, C], 3, -0.1, 0.1));
    const opt = make(w);
    const gen = new Generator(1);
    const epoch = (): number =>
      scope(() => {
        const h = dropout(w, 0.2, { generator: gen });
        const loss = crossEntropy(logSoftmax(h), targets, rows);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss.item();
      });
    const first = epoch();
    epoch(); // optimizer state and the cached indices now exist
    const live = deviceMemory().liveBytes;
    let last = first;
    for (let k = 0; k < 30; k++) last = epoch();
    assert.equal(deviceMemory().liveBytes, live, `${name}: device memory grew`);
    assert.ok(last < first, `${name}: loss ${first} -> ${last}`);
  }
});

test('forward-only device calls (no tape) free their dropout mask and cross-entropy scratch at once', () => {
  const x = uniform([20, 5], 4).to('cuda');
  const targets = new Int32Array(20).fill(1);
  crossEntropy(x, targets).dispose(); // caches the indices
  const before = deviceMemory().liveBytes;
  dropout(x, 0.5, { seed: 1 }).dispose(); // x does not require grad
  crossEntropy(x, targets).dispose();
  const xg = x.detach().requiresGrad_();
  noGrad(() => {
    dropout(xg, 0.5, { seed: 1 }).dispose();
    crossEntropy(xg, targets).dispose();
  });
  assert.equal(deviceMemory().liveBytes, before);
});
