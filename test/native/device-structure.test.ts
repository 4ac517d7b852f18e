// kron and diags on the device ('cuda') against the same ops on the CPU: the
// pattern (entries and order, explicit zeros included), the values, and the
// gradients w.r.t. every input from a random seed gradient, float64 and
// float32; odd shapes (rectangular, empty, 1x1, nnz 0), offsets on both sides,
// broadcast diagonals; the pattern caches; mixed-device errors; memory in a
// scope() loop. Both ops compose device gathers (SpMV through 0/1 matrices) and
// elementwise ops, so the kernels exercised are SpMV's and the dense ops'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CsrMatrix, deviceMemory, diags, type DiagonalValues, type DType, Generator, kron, scope, spmv, type Tensor, tensor,
} from '../../native/lib/index.js';
import { devicePair, testDevice } from '../device-helpers.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

testDevice('device-structure.test.ts');

const DTYPES = ['float64', 'float32'] as const;
const tolOf = (dtype: DType): { rtol: number; atol: number } => (dtype === 'float64' ? { rtol: 1e-13, atol: 1e-14 } : { rtol: 1e-5, atol: 1e-6 });

/** A seed gradient of n normal values. */
function seedOf(n: number, dtype: DType, seed: number): Tensor {
  const gen = new Generator(seed);
  return tensor(Array.from({ length: n }, () => gen.normal()), { dtype });
}

/** Backward from the same random seed on a CPU output and its device twin. */
function backwardBoth(cpu: Tensor, dev: Tensor, seed: number): void {
  const g = seedOf(cpu.size, cpu.dtype, seed);
  cpu.backward(g);
  dev.backward(g.to('cuda'));
}

function assertGrad(dev: Tensor, cpu: Tensor, tol: { rtol: number; atol: number }, msg: string): void {
  const gd = dev.grad;
  const gc = cpu.grad;
  assert.ok(gd && gc, `${msg}: missing gradient (device ${gd !== null}, cpu ${gc !== null})`);
  assert.equal(gd.device, 'cuda', msg);
  assert.equal(gd.dtype, gc.dtype, msg);
  assert.deepEqual(gd.shape, gc.shape, msg);
  assertClose(gd.toArray(), gc.data, { ...tol, msg });
}

/** The device matrix has the CPU matrix's pattern (entries and order) and, bit for bit, its values. */
function assertSameMatrix(dev: CsrMatrix, cpu: CsrMatrix, msg: string): void {
  assert.equal(dev.device, 'cuda', msg);
  assert.equal(dev.dtype, cpu.dtype, msg);
  assert.deepEqual(dev.shape, cpu.shape, msg);
  assert.deepEqual(dev.indptr, cpu.indptr, `${msg}: indptr`);
  assert.deepEqual(dev.indices, cpu.indices, `${msg}: indices`);
  // Each value is one product a_p b_q (kron) or one diagonal value (diags) on both devices: no rounding differs.
  assert.deepEqual(dev.values.toArray(), cpu.values.data, `${msg}: values`);
}

function pair(rows: number, cols: number, dtype: DType, seed: number, opts: { density?: number; emptyRows?: number[] } = {}): { cpu: CsrMatrix; dev: CsrMatrix } {
  return devicePair(rows, cols, dtype, seed, { density: opts.density ?? 0.4, emptyRows: opts.emptyRows });
}

// ---------------------------------------------------------------------------
// kron

type Shape = [rows: number, cols: number, density?: number, emptyRows?: number[]];
const KRON_CASES: [string, Shape, Shape][] = [
  ['rectangular', [5, 3], [4, 6]],
  ['square, empty rows', [7, 7, 0.3, [2, 5]], [6, 6, 0.3, [0]]],
  ['A nnz 0', [3, 4, 0], [2, 3]],
  ['B nnz 0', [3, 4], [2, 3, 0]],
  ['1x1 ⊗ 1x1', [1, 1, 1], [1, 1, 1]],
  ['1x1 ⊗ rectangular', [1, 1, 1], [3, 5]],
  ['no rows', [0, 3], [4, 2]],
  ['no columns', [3, 2], [2, 0]],
];

test('kron on the device matches the CPU: pattern, values, dA and dB', () => {
  let seed = 1;
  for (const dtype of DTYPES) {
    for (const [name, [ra, ca, da, ea], [rb, cb, db, eb]] of KRON_CASES) {
      const msg = `kron ${name} ${dtype}`;
      const A = pair(ra, ca, dtype, seed++, { density: da, emptyRows: ea });
      const B = pair(rb, cb, dtype, seed++, { density: db, emptyRows: eb });
      const Kd = kron(A.dev, B.dev);
      const Kc = kron(A.cpu, B.cpu);
      assertSameMatrix(Kd, Kc, msg);
      assert.equal(Kd.nnz, A.cpu.nnz * B.cpu.nnz, msg);
      backwardBoth(Kc.values, Kd.values, seed++);
      assertGrad(A.dev.values, A.cpu.values, tolOf(dtype), `${msg} dA`);
      assertGrad(B.dev.values, B.cpu.values, tolOf(dtype), `${msg} dB`);
    }
  }
});

test('kron on the device: hand-worked values and gradients; kron(A, A); only the inputs that need it get a gradient', () => {
  const A = CsrMatrix.fromDense([[1, 2]]).to('cuda');
  const B = CsrMatrix.fromDense([[3], [4]]).to('cuda');
  A.values.requiresGrad = true;
  B.values.requiresGrad = true;
  const K = CsrMatrix.kron(A, B); // [[3, 6], [4, 8]]
  assert.equal(K.device, 'cuda');
  assert.deepEqual(K.to('cpu').toDense().toArray(), new Float64Array([3, 6, 4, 8]));
  // values in CSR order: 3 (a0 b0), 6 (a1 b0), 4 (a0 b1), 8 (a1 b1)
  K.values.backward(tensor([1, 10, 100, 1000]).to('cuda'));
  // dA[p] = Σ_q G[(p, q)] b_q: a0: 1·3 + 100·4 = 403, a1: 10·3 + 1000·4 = 4030
  assert.deepEqual(A.values.grad!.toArray(), new Float64Array([403, 4030]));
  // dB[q] = Σ_p G[(p, q)] a_p: b0: 1·1 + 10·2 = 21, b1: 100·1 + 1000·2 = 2100
  assert.deepEqual(B.values.grad!.toArray(), new Float64Array([21, 2100]));

  // A ⊗ A: both factors are the same leaf, so its gradient is the sum of the two.
  const P = pair(4, 3, 'float64', 41);
  const Kc = kron(P.cpu, P.cpu);
  const Kd = kron(P.dev, P.dev);
  assertSameMatrix(Kd, Kc, 'kron(A, A)');
  backwardBoth(Kc.values, Kd.values, 42);
  assertGrad(P.dev.values, P.cpu.values, tolOf('float64'), 'kron(A, A) dA');

  // Only B requires grad: A gets none.
  const C = randomCsr(3, 3, { seed: 43 }).to('cuda');
  const D = pair(2, 4, 'float64', 44);
  const Kc2 = kron(C.to('cpu'), D.cpu);
  const Kd2 = kron(C, D.dev);
  backwardBoth(Kc2.values, Kd2.values, 45);
  assert.equal(C.values.grad, null);
  assertGrad(D.dev.values, D.cpu.values, tolOf('float64'), 'kron dB alone');
});

test('kron caches its pattern per pattern pair, shared by the CPU and the device; a second product allocates values only', () => {
  const A = pair(6, 5, 'float64', 51);
  const B = pair(4, 7, 'float64', 52);
  const K1 = kron(A.dev, B.dev);
  const s = deviceMemory().allocations;
  const K2 = kron(A.dev, B.dev);
  assert.equal(K2.pattern, K1.pattern);
  assert.equal(deviceMemory().allocations - s, 3, 'two gathers and their product: no structure, no selection matrix');
  assert.deepEqual(K2.values.toArray(), K1.values.toArray());
  // Other values on the same patterns (e.g. the next training step) find the same pattern.
  const A2 = A.dev.withValues(A.dev.values.mul(2));
  const K3 = kron(A2, B.dev);
  assert.equal(K3.pattern, K1.pattern);
  assertClose(K3.values.toArray(), K1.values.toArray().map((v) => 2 * v), { rtol: 1e-15, atol: 0 });
  // The CPU product of the device operands' patterns is the same object too.
  assert.equal(kron(A.dev.detach().to('cpu'), B.dev.detach().to('cpu')).pattern, K1.pattern);
  // A pattern pair seen first on the CPU is found by the device.
  const C = pair(3, 3, 'float64', 53);
  const Kc = kron(C.cpu, C.cpu);
  assert.equal(kron(C.cpu.to('cuda'), C.cpu.to('cuda')).pattern, Kc.pattern);
});

test('kron refuses operands on different devices by name', () => {
  const A = randomCsr(3, 2, { seed: 61 });
  const Ad = A.to('cuda');
  assert.throws(() => kron(A, Ad), { message: 'kron: mixed devices: A is on cpu but B is on cuda' });
  assert.throws(() => CsrMatrix.kron(Ad, A), { message: 'kron: mixed devices: A is on cuda but B is on cpu' });
  assert.throws(() => kron(Ad, Ad.astype('float32')), { message: 'kron: mixed dtypes: A is float64 but B is float32 (convert one with .to())' });
});

// ---------------------------------------------------------------------------
// diags

/** A diagonal given on both devices: a Tensor (leaf when `grad`), or a number / array used as is. */
type DiagSpec = { tensor: number[] | number; grad?: boolean; scalar?: boolean } | number | number[];

interface DiagsCase {
  name: string;
  diagonals: DiagSpec[];
  offsets: number[];
  shape?: [number, number];
}

const DIAGS_CASES: DiagsCase[] = [
  { name: 'tridiagonal, all Tensors', diagonals: [{ tensor: [1, 2, 3, 4, 5] }, { tensor: [6, 7, 8, 9] }, { tensor: [10, 11, 12, 13] }], offsets: [0, 1, -1] },
  { name: 'explicit zeros stored', diagonals: [{ tensor: [0, 2, 0] }, { tensor: [0, 0] }], offsets: [0, -1], shape: [3, 3] },
  { name: 'wide, Tensors mixed with a number and an array', diagonals: [{ tensor: [1, 2, 3] }, 4, [5, 6, 7], { tensor: [8, 9] }], offsets: [2, 0, 1, -1], shape: [3, 5] },
  { name: 'tall, negative offsets', diagonals: [{ tensor: [1, 2, 3] }, { tensor: [4, 5, 6] }, -2], offsets: [-3, -1, 0], shape: [6, 3] },
  { name: 'broadcast Tensors (1-D and 0-d) and numbers', diagonals: [{ tensor: [3] }, { tensor: 5, scalar: true }, 1], offsets: [0, 1, -2], shape: [5, 4] },
  { name: 'corner diagonals of length 0 (an empty Tensor, one broadcast over nothing)', diagonals: [{ tensor: [] }, { tensor: [7] }, { tensor: [2] }, { tensor: [1, 2] }], offsets: [2, -3, 1, 0], shape: [3, 2] },
  { name: '1x1', diagonals: [{ tensor: [4] }], offsets: [0], shape: [1, 1] },
  { name: '1x1 corner offsets', diagonals: [{ tensor: [4] }, 2, { tensor: 3, scalar: true }], offsets: [0, 1, -1], shape: [1, 1] },
  { name: 'no rows (nnz 0)', diagonals: [{ tensor: [] }, { tensor: [1] }], offsets: [0, 2], shape: [0, 3] },
  { name: 'default shape from the first diagonal', diagonals: [{ tensor: [1, 2] }, { tensor: [3, 4, 5] }], offsets: [1, 0] },
  { name: 'a Tensor that needs no gradient', diagonals: [{ tensor: [1, 2, 3], grad: false }, { tensor: [4, 5] }], offsets: [0, 1], shape: [3, 3] },
];

/** The case's diagonals on `device`, and the Tensor leaves among them. */
function diagonalsOf(c: DiagsCase, dtype: DType, device: 'cpu' | 'cuda'): { diagonals: DiagonalValues[]; leaves: Tensor[] } {
  const leaves: Tensor[] = [];
  const diagonals = c.diagonals.map((d): DiagonalValues => {
    if (typeof d === 'number' || Array.isArray(d)) return d;
    const t = tensor(d.tensor, { dtype }).to(device);
    if (d.grad !== false) {
      t.requiresGrad = true;
      leaves.push(t);
    }
    return t;
  });
  return { diagonals, leaves };
}

test('diags on the device matches the CPU: pattern, values, and the gradient w.r.t. every Tensor diagonal', () => {
  let seed = 100;
  for (const dtype of DTYPES) {
    for (const c of DIAGS_CASES) {
      const msg = `diags ${c.name} ${dtype}`;
      const cpu = diagonalsOf(c, dtype, 'cpu');
      const dev = diagonalsOf(c, dtype, 'cuda');
      const Mc = diags(cpu.diagonals, c.offsets, c.shape);
      const Md = CsrMatrix.diags(dev.diagonals, c.offsets, c.shape);
      assertSameMatrix(Md, Mc, msg);
      backwardBoth(Mc.values, Md.values, seed++);
      for (const [n, leaf] of dev.leaves.entries()) assertGrad(leaf, cpu.leaves[n]!, tolOf(dtype), `${msg} d(diagonal ${n})`);
    }
  }
});

test('diags on the device: hand-worked entries, a broadcast gradient summed along its diagonal, explicit zeros, options', () => {
  const main = tensor([1, 0, 3]).to('cuda');
  const upper = tensor(5).to('cuda'); // 0-d: broadcast along the first superdiagonal
  main.requiresGrad = true;
  upper.requiresGrad = true;
  const M = diags([main, upper, [7, 8]], [0, 1, -1], [3, 3]);
  assert.deepEqual(denseOf(M.to('cpu')), [[1, 5, 0], [7, 0, 5], [0, 8, 3]]);
  assert.equal(M.nnz, 7, 'the 0 on the main diagonal is stored');
  // entries in CSR order: (0,0) (0,1) (1,0) (1,1) (1,2) (2,1) (2,2)
  M.values.backward(tensor([1, 2, 3, 4, 5, 6, 7]).to('cuda'));
  assert.deepEqual(main.grad!.toArray(), new Float64Array([1, 4, 7]));
  assert.deepEqual(upper.grad!.shape, []);
  assert.deepEqual(upper.grad!.toArray(), new Float64Array([2 + 5]));

  // dtype follows the Tensors; requiresGrad makes a leaf when nothing recorded the values.
  const f = diags([tensor([1, 2], { dtype: 'float32' }).to('cuda'), 3], [0, 1], [2, 2], { requiresGrad: true });
  assert.equal(f.dtype, 'float32');
  assert.equal(f.device, 'cuda');
  assert.ok(f.values.requiresGrad && f.values.gradFn === null);
  assert.deepEqual(f.values.toArray(), new Float32Array([1, 3, 2]));
  assert.throws(() => diags([tensor([1, 2], { dtype: 'float32' }).to('cuda')], [0], [2, 2], { dtype: 'float64' }), {
    message: 'CsrMatrix.diags: a diagonal is float32 but dtype float64 was asked for',
  });
});

test('diags on the device reuses its pattern per (shape, offsets); a second call allocates values only', () => {
  const make = (k: number): CsrMatrix => {
    const d = tensor([1, 2, 3, 4].map((v) => v * k)).to('cuda');
    const e = tensor([5, 6, 7].map((v) => v * k)).to('cuda');
    return diags([d, e, -1], [0, 1, -1], [4, 4]);
  };
  const M1 = make(1);
  const s = deviceMemory().allocations;
  const M2 = make(2);
  assert.equal(M2.pattern, M1.pattern);
  // two uploads (the diagonals), two SpMVs, the constants' upload, two adds: no structure
  assert.equal(deviceMemory().allocations - s, 2 + 2 + 1 + 2);
  assertClose(M2.values.toArray(), M1.values.toArray().map((v) => (v === -1 ? -1 : 2 * v)), { rtol: 0, atol: 0 });
  assert.notEqual(diags([tensor([1, 2, 3, 4]).to('cuda')], [0], [4, 4]).pattern, M1.pattern, 'other offsets, other pattern');
  assert.notEqual(diags([tensor([1, 2, 3, 4]).to('cuda'), 0, 0], [0, 1, -1], [4, 5]).pattern, M1.pattern, 'other shape, other pattern');
  // After releaseDevice() the pattern's device structure is made again on use.
  M1.pattern.releaseDevice();
  const M3 = make(3);
  assert.equal(M3.pattern, M1.pattern);
  assertClose(M3.values.toArray(), M1.values.toArray().map((v) => (v === -1 ? -1 : 3 * v)), { rtol: 0, atol: 0 });
});

test('diags refuses Tensor diagonals on different devices by name', () => {
  const a = tensor([1, 2]);
  const b = tensor([3]);
  assert.throws(() => diags([a.to('cuda'), b], [0, 1]), { message: 'CsrMatrix.diags: mixed devices: diagonal 0 is on cuda but diagonal 1 is on cpu' });
  assert.throws(() => CsrMatrix.diags([1, a, b.to('cuda')], [-1, 0, 1], [2, 2]), {
    message: 'CsrMatrix.diags: mixed devices: diagonal 1 is on cpu but diagonal 2 is on cuda',
  });
  assert.throws(() => diags([a.to('cuda'), tensor([3], { dtype: 'float32' }).to('cuda')], [0, 1]), {
    message: 'CsrMatrix.diags: mixed dtypes among the diagonals (float64 and float32)',
  });
});

// ---------------------------------------------------------------------------
// Memory

test('kron and diags with backward in a scope() loop leave device memory flat', () => {
  const n = 6;
  const A = randomCsr(n, n, { density: 0.3, diagonal: 2, seed: 71 }).to('cuda');
  A.values.requiresGrad = true;
  const main = tensor(Array.from({ length: n }, (_, k) => 2 + Math.sin(k))).to('cuda');
  const off = tensor(-0.5).to('cuda');
  main.requiresGrad = true;
  off.requiresGrad = true;
  const x = tensor(Array.from({ length: n * n }, (_, k) => Math.cos(k))).to('cuda');
  const step = (): void => scope(() => {
    const T = diags([main, off, off, [1, 1, 1, 1]], [0, 1, -1, 2], [n, n]);
    const K = kron(A, T);
    const y = spmv(K, x);
    y.mul(y).sum().backward();
  });
  step(); // first call: patterns, maps and selection matrices made and cached
  const g = [A.values.grad!.toArray(), main.grad!.toArray(), off.grad!.toArray()];
  for (const t of [A.values, main, off]) t.zeroGrad();
  const live = deviceMemory().liveBytes;
  for (let k = 0; k < 10; k++) {
    step();
    for (const t of [A.values, main, off]) t.zeroGrad();
  }
  assert.equal(deviceMemory().liveBytes, live);
  step();
  assertClose(A.values.grad!.toArray(), g[0]!, { rtol: 1e-12, atol: 1e-12 });
  assertClose(main.grad!.toArray(), g[1]!, { rtol: 1e-12, atol: 1e-12 });
  assertClose(off.grad!.toArray(), g[2]!, { rtol: 1e-12, atol: 1e-12 });
});
