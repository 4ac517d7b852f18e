// The timing study's ops, a plain value in a file of its own: the preload imports
// lab-api.ts and must not pull in zod, and lab-schema.ts builds its enum from it.
export const TIMING_OPS = ['spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve'] as const;
