// sparse-ad-lab/engine: the public API.
// First: installs the ops as methods on Tensor and CsrMatrix (x.add, A.matmul, …).
import './methods.js';
export { Tensor, tensor, zeros, ones, full, zerosLike, onesLike, arange, randn, rand } from './tensor.js';
export type { TensorOptions, NestedArray, RandomOptions, DType, Device } from './tensor.js';
export { CsrMatrix, CsrPattern } from './csr.js';
export type { CsrOptions } from './csr.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export { Generator, manualSeed } from './random.js';
export { SparseAdError } from './errors.js';
export { setThreads, getThreads, buildInfo, devices } from './threads.js';
export { scope, keep, TensorArena, deviceMemory, resetPeakDeviceMemory, synchronize, deviceMode } from './device.js';
export { clearPool, poolStats } from './pool.js';
export type { DeviceMemory } from './device.js';
export type { BuildInfo, CudaDeviceInfo } from './threads.js';
export { spmv } from './ops/spmv.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult, GradcheckFailure } from './gradcheck.js';
export { spgemm } from './ops/spgemm.js';
export { spadd } from './ops/spadd.js';
export type { SpaddOptions } from './ops/spadd.js';
export { spdmm } from './ops/spdmm.js';
export { sptrsv } from './ops/sptrsv.js';
export type { SptrsvOptions } from './ops/sptrsv.js';
export { spsolve, splu, SparseLU, spsolveCache, type SpsolveOptions, type SpsolveCacheStats } from './ops/spsolve.js';
export { cholesky, logdet, CholeskyFactor, type CholeskyOptions, type CholeskyOrdering, type CholeskyInfo, type SymmetricStorage } from './ops/cholesky.js';
export {
  cg, minres, gmres, bicgstab, krylov,
  type KrylovMethod, type KrylovOptions, type KrylovResult, type ConvergenceRecord, type LinearOperator, type Preconditioner,
} from './ops/krylov.js';
export { matmul } from './ops/matmul.js';
export * from './ops/structure.js';
export * from './ops/dense.js';
export * from './optim.js';
export { denseSolve, denseTriangularSolve } from './ops/dense_solve.js';
export type { DenseTriangularSolveOptions } from './ops/dense_solve.js';
export { readMatrixMarket, writeMatrixMarket, parseMatrixMarket, MatrixMarketParser, MatrixMarketError, formatMatrixMarketValue } from './io/matrix-market.js';
export type {
  ReadMatrixMarketOptions,
  WriteMatrixMarketOptions,
  MatrixMarketResult,
  MatrixMarketHeader,
  MatrixMarketErrorCode,
  MatrixMarketFormat,
  MatrixMarketField,
  MatrixMarketSymmetry,
} from './io/matrix-market.js';
export { matrixStats, spyBins } from './stats.js';
export type { MatrixStats, MatrixStatsOptions, SpdHint, SpdMethod, SpyBins } from './stats.js';
