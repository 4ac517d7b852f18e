// Dense ops the applications need, all differentiable (CPU). One file per family:
//   elementwise.ts  add, sub, mul, div, pow, maximum, minimum (NumPy broadcasting), neg, where, clamp
//   unary.ts        exp, log, sqrt, abs, sin, cos, tanh, relu, sigmoid
//   reduce.ts       sum, mean (axis, keepdims), dot, norm
//   nn.ts           logSoftmax, softmax, crossEntropy, nllLoss, dropout
//   shape.ts        reshape, denseTranspose, gatherRows, concat, cast
//   gemm.ts         denseMatmul (native GEMM; `matmul` in matmul.ts dispatches to it)
export { add, sub, mul, div, pow, maximum, minimum, neg, where, clamp } from './elementwise.js';
export { exp, log, sqrt, abs, sin, cos, tanh, relu, sigmoid } from './unary.js';
export { sum, mean, dot, norm } from './reduce.js';
export type { Axis } from './reduce.js';
export { logSoftmax, softmax, crossEntropy, nllLoss, dropout } from './nn.js';
export type { DropoutOptions } from './nn.js';
export { reshape, denseTranspose, gatherRows, concat, cast } from './shape.js';
export { denseMatmul } from './gemm.js';
export type { Operand } from './broadcast.js';
