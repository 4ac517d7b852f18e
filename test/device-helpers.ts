// The device the 'cuda' tests run on: the GPU when there is one, otherwise the
// emulated device (host memory behind the device interface), which tests the
// TypeScript device path and the bindings' glue but not the CUDA kernels. Each
// test file prints which, once.
import assert from 'node:assert/strict';
import { CsrMatrix, type DType, Generator, tensor, type Tensor } from '../native/lib/index.js';
import { deviceMode, enableDeviceEmulation } from '../native/lib/device.js';
import { assertClose, randomCsr } from './helpers.js';

let announced = false;

export function testDevice(file: string): 'cuda' | 'emulated' {
  let m = deviceMode();
  if (m.mode === 'none') {
    const why = m.reason;
    enableDeviceEmulation();
    m = deviceMode();
    if (!announced) {
      console.log(`# ${file}: CUDA tests on the GPU skipped (${why}); running them on the emulated device, so the CUDA kernels themselves are not exercised here`);
    }
  } else if (!announced) {
    console.log(`# ${file}: running on ${m.mode === 'cuda' ? 'the CUDA GPU' : 'the emulated device (SPARSE_AD_CUDA_EMULATION=1)'}`);
  }
  announced = true;
  if (m.mode === 'none') throw new Error(`no device and emulation could not be enabled: ${m.reason}`);
  return m.mode;
}

/** The same random matrix twice, on distinct pattern objects: a CPU leaf and a device leaf. */
export function devicePair(rows: number, cols: number, dtype: DType, seed: number, opts: { density: number; emptyRows?: number[] }): { cpu: CsrMatrix; dev: CsrMatrix } {
  const make = (): CsrMatrix => randomCsr(rows, cols, { density: opts.density, emptyRows: opts.emptyRows, seed, dtype });
  const cpu = make();
  cpu.values.requiresGrad = true;
  const m = make();
  const v = m.values.to('cuda');
  v.requiresGrad = true;
  return { cpu, dev: m.withValues(v) };
}

export interface CheckOptions {
  tol: { rtol: number; atol: number };
  /** The seed gradient for backward(), made on the CPU. */
  seedGradient: (shape: readonly number[], dtype: DType) => Tensor;
  /** Called before fn runs on each device (for inputs fn moves there itself). */
  onRun?: (device: 'cpu' | 'cuda') => void;
}

/**
 * fn on CPU copies of the inputs and on device copies: the outputs agree (NaN
 * and ±Inf exactly where the CPU has them), and so do the gradients of every
 * input for one seed gradient, the device ones staying on the device and finite.
 */
export function checkAgainstCpu(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: CheckOptions): void {
  const { tol } = opts;
  const msg = `${name} (${inputs[0]!.dtype})`;
  const cpu = inputs.map((x) => x.detach().requiresGrad_());
  const dev = inputs.map((x) => x.to('cuda').requiresGrad_());
  opts.onRun?.('cpu');
  const yc = fn(...cpu);
  opts.onRun?.('cuda');
  const yd = fn(...dev);
  assert.equal(yd.device, 'cuda', msg);
  assert.equal(yd.dtype, yc.dtype, msg);
  assert.deepEqual(yd.shape, yc.shape, msg);
  const fwd = yd.toArray();
  yc.data.forEach((v, i) => {
    if (!Number.isFinite(v) || !Number.isFinite(fwd[i]!)) assert.ok(Object.is(fwd[i], v), `${msg} forward at ${i}: ${fwd[i]} vs ${v}`);
  });
  const finite = (d: ArrayLike<number>): number[] => Array.from(d, (v) => (Number.isFinite(v) ? v : 0));
  assertClose(finite(fwd), finite(yc.data), { ...tol, msg: `${msg} forward` });
  const g = opts.seedGradient(yc.shape, yc.dtype);
  yc.backward(g);
  yd.backward(g.to('cuda'));
  cpu.forEach((x, i) => {
    const gd = dev[i]!.grad!;
    assert.equal(gd.device, 'cuda', `${msg} grad ${i}`);
    assert.deepEqual(gd.shape, x.shape, `${msg} grad ${i}`);
    const gv = gd.toArray();
    assert.ok(gv.every(Number.isFinite), `${msg} grad ${i} is finite`);
    assertClose(gv, x.grad!.data, { ...tol, msg: `${msg} grad ${i}` });
  });
}

/** b of shape [n] (k null) or [n, k], standard normal draws of Generator(seed). */
export function randomB(n: number, k: number | null, seed: number, dtype: DType = 'float64'): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from({ length: n * (k ?? 1) }, () => gen.normal()), { dtype, shape: k === null ? [n] : [n, k] });
}

/** A leaf copy of A (values requiring grad) on `device`. */
export function leafMatrix(A: CsrMatrix, device: 'cpu' | 'cuda'): CsrMatrix {
  const M = new CsrMatrix(A.pattern, (device === 'cpu' ? A.values.clone() : A.values.to('cuda')).detach());
  M.values.requiresGrad = true;
  return M;
}

/** A leaf copy of t (requiring grad) on `device`. */
export function leafTensor(t: Tensor, device: 'cpu' | 'cuda'): Tensor {
  const d = (device === 'cpu' ? t.clone() : t.to('cuda')).detach();
  d.requiresGrad = true;
  return d;
}

export interface Tolerance { rtol: number; atol: number }

/**
 * Runs `op` on the CPU and on the device with the same inputs and a random seed
 * gradient, and compares the outputs and both gradients (dA on A's pattern, db).
 */
export function compareWithCpu(label: string, A: CsrMatrix, b: Tensor, op: (A: CsrMatrix, b: Tensor) => Tensor, tol: Tolerance): void {
  const Ac = leafMatrix(A, 'cpu');
  const bc = leafTensor(b, 'cpu');
  const xc = op(Ac, bc);
  const Ad = leafMatrix(A, 'cuda');
  const bd = leafTensor(b, 'cuda');
  const xd = op(Ad, bd);
  assert.equal(xd.device, 'cuda', label);
  assert.deepEqual(xd.shape, xc.shape, label);
  assertClose(xd.toArray(), xc.toArray(), { ...tol, msg: `${label}: x` });
  const g = randomB(b.shape[0]!, b.ndim === 1 ? null : b.shape[1]!, 991, b.dtype);
  xc.backward(g);
  xd.backward(g.to('cuda'));
  assert.equal(Ad.values.grad!.device, 'cuda', label);
  assert.equal(bd.grad!.device, 'cuda', label);
  assertClose(bd.grad!.toArray(), bc.grad!.toArray(), { ...tol, msg: `${label}: db` });
  assertClose(Ad.values.grad!.toArray(), Ac.values.grad!.toArray(), { ...tol, msg: `${label}: dA` });
}

/** The message of the error fn throws (fails when it throws none). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected an error');
}
