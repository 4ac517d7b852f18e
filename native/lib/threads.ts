// The CPU kernels' thread pool (one per JS thread that loads the addon).
import { addon } from './addon.js';

/** Sets the number of threads the CPU kernels use (0 = all cores). Results are deterministic per count. */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`setThreads: expected a non-negative integer but received ${String(n)}`);
  addon().setThreads(n);
}

export function getThreads(): number {
  return addon().getThreads();
}

export interface BuildInfo {
  cuda: boolean;
  blas: string;
  klu: boolean;
  hardwareThreads: number;
}

export function buildInfo(): BuildInfo {
  return addon().buildInfo();
}

export interface CudaDeviceInfo {
  index: number;
  name: string;
  totalMemory: number;
  /** 'major.minor', or 'emulated' for the emulated device. */
  computeCapability: string;
  /** True for the emulated device (SPARSE_AD_CUDA_EMULATION=1: host memory, for tests without a GPU). */
  emulated: boolean;
}

/** CUDA devices this build can use (empty without CUDA or without a GPU). */
export function devices(): CudaDeviceInfo[] {
  return addon().cudaDevices();
}
