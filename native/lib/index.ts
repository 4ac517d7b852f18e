// sparse-ad-lab/engine: the public API.
export { Tensor, tensor, zeros, ones, full, zerosLike, onesLike, arange, randn, rand } from './tensor.js';
export type { TensorOptions, NestedArray, RandomOptions, DType, Device } from './tensor.js';
export { CsrMatrix, CsrPattern } from './csr.js';
export type { CsrOptions } from './csr.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export { Generator, manualSeed } from './random.js';
export { SparseAdError } from './errors.js';
export { setThreads, getThreads, buildInfo, devices } from './threads.js';
export type { BuildInfo, CudaDeviceInfo } from './threads.js';
export { spmv } from './ops/spmv.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult, GradcheckFailure } from './gradcheck.js';
