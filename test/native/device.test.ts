// Device ('cuda') tensors: storage, copies, dispose, scopes, memory accounting,
// autograd across devices, and SpMV on the device against the CPU.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Adam, CsrMatrix, denseSolve, resetPeakDeviceMemory, denseTriangularSolve, devices, scope, keep, spmv, tensor, zeros, deviceMemory } from '../../native/lib/index.js';
import { deviceAlloc } from '../../native/lib/device.js';
import { testDevice } from '../device-helpers.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

const mode = testDevice('device.test.ts');

test('devices() reports the device with name, memory and compute capability', () => {
  const list = devices();
  assert.equal(list.length >= 1, true);
  const d = list[0]!;
  assert.equal(typeof d.name, 'string');
  assert.ok(d.totalMemory > 0);
  if (mode === 'emulated') {
    assert.equal(d.emulated, true);
    assert.equal(d.computeCapability, 'emulated');
  } else {
    assert.match(d.computeCapability, /^\d+\.\d+$/);
  }
});

test('a tensor moves to the device and back unchanged, for both dtypes', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const x = tensor([[1.5, -2], [3, 1e-7]], { dtype });
    const d = x.to('cuda');
    assert.equal(d.device, 'cuda');
    assert.equal(d.dtype, dtype);
    assert.deepEqual(d.shape, [2, 2]);
    assert.equal(d.to('cuda'), d);
    assert.deepEqual(Array.from(d.toArray()), Array.from(x.data));
    assert.deepEqual(d.toList(), x.toList());
    const back = d.to('cpu');
    assert.equal(back.device, 'cpu');
    assert.deepEqual(Array.from(back.data), Array.from(x.data));
    assert.equal(tensor([4.25], { dtype }).to('cuda').item(), 4.25);
  }
  assert.match(tensor([1, 2]).to('cuda').toString(), /^Tensor\(\[1,2\], dtype=float64, device=cuda\)$/);
});

test('a device tensor has no host data; reading it says how to', () => {
  const d = tensor([1, 2, 3]).to('cuda');
  assert.throws(() => d.data, { message: "Tensor.data: the tensor is on cuda; read it with toArray() / item(), or move it with .to('cpu')" });
});

test('dispose frees device memory now; use after dispose throws, an op naming itself and the operand; twice is harmless', () => {
  const before = deviceMemory().liveBytes;
  const d = zeros([1000]).to('cuda');
  assert.equal(deviceMemory().liveBytes - before, 8000);
  d.dispose();
  d.dispose();
  assert.equal(deviceMemory().liveBytes, before);
  // The peak remembers the 8000 bytes until a new peak starts.
  assert.ok(deviceMemory().peakBytes >= before + 8000);
  resetPeakDeviceMemory();
  assert.equal(deviceMemory().peakBytes, deviceMemory().liveBytes);
  assert.equal(d.isDisposed, true);
  assert.throws(() => d.toArray(), { message: 'Tensor: this [1000] tensor was disposed' });
  // An op given a disposed operand names itself and the operand, and allocates nothing for its result.
  const I = CsrMatrix.eye(1000).to('cuda');
  const x = zeros([1000]).to('cuda');
  const live = deviceMemory().liveBytes;
  assert.throws(() => spmv(I, d), { message: 'spmv: x was disposed' });
  assert.throws(() => d.add(x), { message: 'add: a was disposed' });
  assert.throws(() => x.mul(d), { message: 'mul: b was disposed' });
  assert.equal(deviceMemory().liveBytes, live);
  I.dispose();
  assert.throws(() => spmv(I, x), { message: 'spmv: A was disposed' });
});

test('views share device storage: memory is freed with the last of them', () => {
  const before = deviceMemory().liveBytes;
  const d = zeros([4, 5], { dtype: 'float32' }).to('cuda');
  const r = d.reshape([20]);
  const det = d.detach();
  d.dispose();
  assert.equal(deviceMemory().liveBytes - before, 80);
  assert.equal(r.toArray().length, 20);
  r.dispose();
  assert.equal(deviceMemory().liveBytes - before, 80);
  det.dispose();
  assert.equal(deviceMemory().liveBytes, before);
});

test('scope disposes what it made except its result, which moves to the enclosing scope', () => {
  const before = deviceMemory().liveBytes;
  const x = tensor([1, 2, 3]).to('cuda');
  let inner: ReturnType<typeof zeros> | undefined;
  let kept: ReturnType<typeof zeros> | undefined;
  const out = scope(() => {
    const mid = scope(() => {
      inner = zeros([3]).to('cuda'); // disposed by the inner scope
      return tensor([7, 8]).to('cuda'); // returned: moves to the outer scope
    });
    kept = keep(tensor([9]).to('cuda'));
    return { mid, list: [x] };
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(out.mid.isDisposed, false);
  assert.deepEqual(Array.from(out.mid.toArray()), [7, 8]);
  assert.equal(x.isDisposed, false, 'made outside the scope');
  assert.equal(kept!.isDisposed, false);
  for (const t of [x, out.mid, kept!]) t.dispose();
  assert.equal(deviceMemory().liveBytes, before);
});

test('scope disposes everything when fn throws, and rejects async functions', () => {
  const before = deviceMemory().liveBytes;
  assert.throws(() => scope(() => {
    zeros([10]).to('cuda');
    throw new Error('boom');
  }), { message: 'boom' });
  assert.equal(deviceMemory().liveBytes, before);
  assert.throws(() => scope(async () => zeros([2]).to('cuda')), { message: 'scope: fn returned a Promise; scopes are synchronous (await outside, or use one scope per step)' });
});

test('spmv on the device matches the CPU, forward and both VJPs, float64 and float32', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
    for (const [rows, cols] of [[37, 23], [300, 300], [1, 1], [5, 0], [0, 4]] as const) {
      const A = randomCsr(rows, cols, { density: 0.2, seed: rows * 7 + cols, dtype });
      const x = tensor(Array.from({ length: cols }, (_, j) => Math.sin(j + 1)), { dtype });
      const Ad = A.to('cuda');
      const xd = x.to('cuda');
      Ad.values.requiresGrad = true;
      xd.requiresGrad = true;
      const y = spmv(Ad, xd);
      assert.equal(y.device, 'cuda');
      const dense = denseOf(A);
      const want = dense.map((row) => row.reduce((s, a, j) => s + a * x.data[j]!, 0));
      assertClose(y.toArray(), want, tol);
      const v = tensor(Array.from({ length: rows }, (_, i) => Math.cos(i)), { dtype });
      y.backward(v.to('cuda'));
      assert.equal(Ad.values.grad!.device, 'cuda');
      // dA[p] = v[i] x[j];  dx = Aᵀ v, from the dense matrix
      const { indptr, indices } = A.pattern.raw;
      const dA: number[] = [];
      for (let i = 0; i < rows; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) dA.push(v.data[i]! * x.data[indices[p]!]!);
      assertClose(Ad.values.grad!.toArray(), dA, tol);
      const dx = Array.from({ length: cols }, (_, j) => dense.reduce((s, row, i) => s + row[j]! * v.data[i]!, 0));
      assertClose(xd.grad!.toArray(), dx, tol);
    }
  }
});

test('gradients flow back across .to(): a CPU leaf gets a CPU gradient', () => {
  const A = randomCsr(20, 20, { density: 0.3, seed: 5 });
  const vals = A.values.clone().requiresGrad_();
  const x = tensor(Array.from({ length: 20 }, (_, j) => j / 10), { requiresGrad: true });
  const y = spmv(A.withValues(vals).to('cuda'), x.to('cuda'));
  y.to('cpu').sum().backward();
  assert.equal(vals.grad!.device, 'cpu');
  assert.equal(x.grad!.device, 'cpu');
  const ref = spmv(A.withValues(vals.detach().requiresGrad_()), x.detach().requiresGrad_());
  assertClose(y.toArray(), ref.data, { rtol: 1e-12 });
});

test('a training loop in scope() does not grow device memory, and gradients accumulate on the device', () => {
  const A = randomCsr(200, 200, { density: 0.05, seed: 11 }).to('cuda');
  A.values.requiresGrad = true;
  const x = tensor(Array.from({ length: 200 }, (_, j) => Math.cos(j)), { requiresGrad: true }).to('cuda');
  const step = (): void => scope(() => {
    spmv(A, x).to('cpu').sum().backward();
  });
  step();
  const g1 = A.values.grad!.toArray();
  step(); // accumulates: the gradient doubles
  assertClose(A.values.grad!.toArray(), Array.from(g1, (g) => 2 * g), { rtol: 1e-12 });
  A.values.zeroGrad();
  const live = deviceMemory().liveBytes;
  for (let k = 0; k < 50; k++) {
    step();
    A.values.zeroGrad();
  }
  assert.equal(deviceMemory().liveBytes, live);
});

test("a pattern's structure is uploaded once, shared by its matrices, and freed by releaseDevice()", () => {
  const A = randomCsr(50, 40, { density: 0.2, seed: 3 });
  const before = deviceMemory().liveBytes;
  const A1 = A.to('cuda');
  const A2 = A.withValues(A.values.clone()).to('cuda'); // same pattern object
  const structure = (A.rows + 1 + A.nnz) * 4;
  assert.equal(deviceMemory().liveBytes - before, structure + 2 * A.nnz * 8);
  A.pattern.releaseDevice();
  assert.equal(deviceMemory().liveBytes - before, 2 * A.nnz * 8);
  scope(() => {
    const x = tensor(Array.from({ length: 40 }, (_, j) => j)).to('cuda');
    assertClose(spmv(A2, x).toArray(), spmv(A, x.to('cpu')).data, { rtol: 1e-12 }); // uploaded again on use
  });
  assert.equal(deviceMemory().liveBytes - before, structure + 2 * A.nnz * 8);
  for (const t of [A1, A2]) t.dispose();
  A.pattern.releaseDevice();
  assert.equal(deviceMemory().liveBytes, before);
});

test('an optimizer keeps its device state across scopes and frees it on dispose()', () => {
  const w = tensor(Array.from({ length: 100 }, (_, i) => i / 100)).to('cuda').requiresGrad_();
  const opt = new Adam([w], { lr: 0.1, amsgrad: true });
  // backward()'s seed and the sum's VJP of it are shared device constants (ops/transfer.ts
  // constantOn), made by the first backward and then held by that cache, not per step.
  scope(() => w.mul(w).sum().backward());
  w.zeroGrad();
  const before = deviceMemory().liveBytes;
  const step = (): void => scope(() => {
    opt.zeroGrad();
    w.mul(w).sum().backward();
    opt.step();
  });
  step();
  opt.zeroGrad();
  assert.equal(deviceMemory().liveBytes - before, 3 * 800, 'm, v and vMax');
  step();
  opt.zeroGrad();
  assert.equal(deviceMemory().liveBytes - before, 3 * 800);
  opt.dispose();
  assert.equal(deviceMemory().liveBytes, before);
  w.dispose();
});

test('an allocation the device cannot hold fails with the reason (on a GPU: the CUDA call, file, line and message)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<void> => {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  };
  await settle(); // collect the other tests' undisposed arrays first (freed by the GC safety net)
  const before = deviceMemory();
  // 2^37 float64 entries: 1 TiB, more than any GPU (and than the emulated device's capacity).
  assert.throws(() => deviceAlloc('float64', 2 ** 37), (e: Error) => {
    if (mode === 'cuda') assert.match(e.message, /^CUDA error in malloc_async: out of memory \(cudaErrorMemoryAllocation\) from cudaMallocAsync\(&p, bytes, 0\) at .*runtime_cuda\.cu:\d+$/);
    else assert.match(e.message, /^DeviceArray: out of memory on the emulated device: 1099511627776 bytes requested, \d+ of \d+ free$/);
    return true;
  });
  assert.equal(deviceMemory().liveBytes, before.liveBytes);
  assert.equal(deviceMemory().liveArrays, before.liveArrays);
  // Collecting the half-made array must not take its bytes off the count.
  await settle();
  assert.equal(deviceMemory().liveBytes, before.liveBytes);
  assert.equal(deviceMemory().liveArrays, before.liveArrays);
  // The device still works afterwards (the error was cleared).
  assert.deepEqual(Array.from(tensor([1, 2]).to('cuda').mul(2).toArray()), [2, 4]);
});

test('the dense solves (the dense baseline) say they run on the CPU', () => {
  const A = tensor([[2, 1], [1, 3]]).to('cuda');
  const b = tensor([1, 2]).to('cuda');
  assert.throws(() => denseSolve(A, b), { message: "denseSolve: A is on cuda; the dense solves run on cpu tensors only (move them with .to('cpu'))" });
  assert.throws(() => denseTriangularSolve(A, b), { message: "denseTriangularSolve: L is on cuda; the dense solves run on cpu tensors only (move them with .to('cpu'))" });
});

test('without a device, .to("cuda") of a Tensor or a CsrMatrix says why (fresh process, no emulation)', (t) => {
  if (mode === 'cuda') {
    t.skip('this machine has a CUDA device, so the no-device error cannot occur');
    return;
  }
  const code =
    "import('./native/lib/index.ts').then(({ tensor, CsrMatrix }) => { for (const f of [() => tensor([1]).to('cuda'), () => CsrMatrix.eye(2).to('cuda')]) { try { f(); console.log('no error'); } catch (e) { console.log(e.message); } } })";
  const env = { ...process.env };
  delete env.SPARSE_AD_CUDA_EMULATION;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env });
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout + r.stderr);
  for (const line of lines) {
    assert.match(line, /^to: no CUDA device: (built without CUDA \(nvcc was not found, or SAD_WITH_CUDA=OFF\)|no CUDA device found \(no GPU, or no driver\))$/);
  }
});
