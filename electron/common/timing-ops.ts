// The timing study's ops, a plain value in a file of its own: the preload imports
// lab-api.ts and must not pull in zod, and lab-schema.ts builds its enum from it.
// The paper's Table 2 ops, then the sparse solvers (experiments/timing/ops.ts).
export const TIMING_OPS = ['spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve', 'cholesky', 'logdet', 'cg'] as const;
