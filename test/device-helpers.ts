// The device the 'cuda' tests run on: the GPU when there is one, otherwise the
// emulated device (host memory behind the device interface), which tests the
// TypeScript device path and the bindings' glue but not the CUDA kernels. Each
// test file prints which, once.
import assert from 'node:assert/strict';
import type { CsrMatrix, DType, Tensor } from '../native/lib/index.js';
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
