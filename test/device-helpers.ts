// The device the 'cuda' tests run on: the GPU when there is one, otherwise the
// emulated device (host memory behind the device interface), which tests the
// TypeScript device path and the bindings' glue but not the CUDA kernels. Each
// test file prints which, once.
import type { CsrMatrix, DType } from '../native/lib/index.js';
import { deviceMode, enableDeviceEmulation } from '../native/lib/device.js';
import { randomCsr } from './helpers.js';

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
