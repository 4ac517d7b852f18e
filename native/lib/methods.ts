// Ops as methods: x.add(y), x.sum(), x.backward(), A.matmul(x), A.transpose(), CsrMatrix.eye(n), …
// The layers of native/lib are primitives (tensor.ts, csr.ts, autograd.ts,
// device.ts: none imports an op) → ops (ops/*.ts, which import primitives and other ops, never
// this file) → this module, which imports the ops and installs each one on
// Tensor / CsrMatrix once, at load. index.ts imports it first, so every user of
// the engine sees the methods; nothing imports it back, so there is no cycle
// (test/native/import-cycles.test.ts keeps it that way). Each method is the op
// of the same name, so its forward, VJP and checks are the op's.
import { runBackward, setGradOps } from './autograd.js';
import { CsrMatrix } from './csr.js';
import type { Device, DType } from './dtype.js';
import { Tensor } from './tensor.js';
import { add, clamp, div, mul, neg, pow, sub } from './ops/elementwise.js';
import { matmul } from './ops/matmul.js';
import { logSoftmax, softmax } from './ops/nn.js';
import { type Axis, dot, mean, norm, sum } from './ops/reduce.js';
import { cast, denseTranspose, reshape } from './ops/shape.js';
import * as structure from './ops/structure.js';
import { addInPlace, addSame, constantOn, isSharedConstant, toDevice } from './ops/transfer.js';
import { abs, cos, exp, log, relu, sigmoid, sin, sqrt, tanh } from './ops/unary.js';
import { allocate } from './dtype.js';
import { expected, fail, shapeStr } from './errors.js';

declare module './tensor.js' {
  interface Tensor {
    /**
     * Reverse-mode differentiation from this tensor. Without an argument it must
     * hold one element (the seed is 1); otherwise pass the gradient of the output.
     */
    backward(grad?: Tensor): void;
    add(other: Tensor | number): Tensor;
    sub(other: Tensor | number): Tensor;
    mul(other: Tensor | number): Tensor;
    div(other: Tensor | number): Tensor;
    pow(exponent: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    /** Σ over all entries (0-D) or over `axis`. */
    sum(axis?: Axis, keepdims?: boolean): Tensor;
    mean(axis?: Axis, keepdims?: boolean): Tensor;
    dot(other: Tensor): Tensor;
    /** The 2-norm of all entries (0-D). */
    norm(): Tensor;
    logSoftmax(): Tensor;
    softmax(): Tensor;
    /** this · other: dense GEMM, or dense × CsrMatrix (see ops/matmul.ts). */
    matmul(other: Tensor | CsrMatrix): Tensor;
    /** The same storage under another shape (one dimension may be −1). */
    reshape(shape: readonly number[]): Tensor;
    /** The transpose of a 2-D tensor (a copy). */
    transpose(): Tensor;
    /** The transpose of a 2-D tensor (a copy). */
    readonly T: Tensor;
    /**
     * A cast to another dtype, or a copy on another device ('cuda' or 'cpu');
     * this tensor itself when it already has that dtype or device. Both are
     * differentiable: the gradient flows back to this tensor's dtype and device.
     */
    to(target: DType | Device): Tensor;
  }
}

declare module './csr.js' {
  interface CsrMatrix {
    /** A dense copy (differentiable: the gradient is the dense gradient read on the pattern). */
    toDense(): Tensor;
    /** Aᵀ, with the transpose structure cached on this pattern (see structure.transpose). */
    transpose(): CsrMatrix;
    /** The k-th diagonal as a dense 1-D Tensor, zero where nothing is stored (see structure.diagonal). */
    diagonal(k?: number): Tensor;
    /** The entries on and below the k-th diagonal. */
    tril(k?: number): CsrMatrix;
    /** The entries on and above the k-th diagonal. */
    triu(k?: number): CsrMatrix;
    /** The values converted to `dtype` (differentiable); this matrix when it already has that dtype. */
    astype(dtype: DType): CsrMatrix;
    /**
     * The values converted to `dtype` (as astype), or the matrix on another
     * device ('cuda' or 'cpu': the values move, differentiably, and the pattern's
     * structure is uploaded once and shared by every matrix with this pattern).
     */
    to(target: DType | Device): CsrMatrix;
    /** A times a dense vector/matrix (spmv/spdmm) or a sparse matrix (spgemm), through matmul(). */
    matmul(other: Tensor): Tensor;
    matmul(other: CsrMatrix): CsrMatrix;
  }
  namespace CsrMatrix {
    /** The n × n identity. */
    let eye: typeof structure.eye;
    /** A matrix from diagonals, as scipy.sparse.diags (see structure.diags). */
    let diags: typeof structure.diags;
    /** The Kronecker product A ⊗ B (differentiable w.r.t. both). */
    let kron: typeof structure.kron;
    /** The 1-D Poisson matrix: 2 on the diagonal, −1 off. */
    let poisson1d: typeof structure.poisson1d;
    /** The 2-D Poisson matrix (5-point Laplacian) on an nx × ny grid: kron(I, T_nx) + kron(T_ny, I). */
    let poisson2d: typeof structure.poisson2d;
  }
}

/** Installs `methods` on `proto` as non-enumerable methods, as a class body would. */
function install(proto: object, methods: Record<string, (this: never, ...args: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

install(Tensor.prototype, {
  backward(this: Tensor, grad?: Tensor) {
    let seed: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        fail('backward', `a seed gradient is needed for a non-scalar output of shape ${shapeStr(this.shape)} (call .sum() first or pass one)`);
      }
      // On the device a shared constant (no fill per step); reductions recognise it (ops/reduce.ts).
      seed = this.device === 'cpu' ? new Tensor(allocate(this.dtype, 1).fill(1), this.shape) : constantOn(this.dtype, this.shape, 1, this.device);
    } else {
      if (!(grad instanceof Tensor)) expected('backward', 'a Tensor', 'grad', grad);
      if (shapeStr(grad.shape) !== shapeStr(this.shape) || grad.dtype !== this.dtype) {
        fail('backward', `grad has shape ${shapeStr(grad.shape)} (${grad.dtype}) but the output has ${shapeStr(this.shape)} (${this.dtype})`);
      }
      if (grad.device !== this.device) fail('backward', `grad is on ${grad.device} but the output is on ${this.device}`);
      seed = grad;
    }
    runBackward(this, seed);
  },
  add(this: Tensor, other: Tensor | number) { return add(this, other); },
  sub(this: Tensor, other: Tensor | number) { return sub(this, other); },
  mul(this: Tensor, other: Tensor | number) { return mul(this, other); },
  div(this: Tensor, other: Tensor | number) { return div(this, other); },
  pow(this: Tensor, exponent: Tensor | number) { return pow(this, exponent); },
  neg(this: Tensor) { return neg(this); },
  exp(this: Tensor) { return exp(this); },
  log(this: Tensor) { return log(this); },
  sqrt(this: Tensor) { return sqrt(this); },
  abs(this: Tensor) { return abs(this); },
  sin(this: Tensor) { return sin(this); },
  cos(this: Tensor) { return cos(this); },
  tanh(this: Tensor) { return tanh(this); },
  relu(this: Tensor) { return relu(this); },
  sigmoid(this: Tensor) { return sigmoid(this); },
  clamp(this: Tensor, min?: number | null, max?: number | null) { return clamp(this, min, max); },
  sum(this: Tensor, axis?: Axis, keepdims = false) { return sum(this, axis, keepdims); },
  mean(this: Tensor, axis?: Axis, keepdims = false) { return mean(this, axis, keepdims); },
  dot(this: Tensor, other: Tensor) { return dot(this, other); },
  norm(this: Tensor) { return norm(this); },
  logSoftmax(this: Tensor) { return logSoftmax(this); },
  softmax(this: Tensor) { return softmax(this); },
  matmul(this: Tensor, other: Tensor | CsrMatrix) { return matmul(this, other) as Tensor; }, // dense × anything is dense
  reshape(this: Tensor, shape: readonly number[]) { return reshape(this, shape); },
  transpose(this: Tensor) { return denseTranspose(this); },
  to(this: Tensor, target: DType | Device) {
    if (target === 'cpu' || target === 'cuda') return toDevice(this, target);
    return cast(this, target);
  },
});
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) { return denseTranspose(this); },
  configurable: true,
  enumerable: false,
});

install(CsrMatrix.prototype, {
  toDense(this: CsrMatrix) { return structure.toDense(this); },
  transpose(this: CsrMatrix) { return structure.transpose(this); },
  diagonal(this: CsrMatrix, k = 0) { return structure.diagonal(this, k); },
  tril(this: CsrMatrix, k = 0) { return structure.tril(this, k); },
  triu(this: CsrMatrix, k = 0) { return structure.triu(this, k); },
  astype(this: CsrMatrix, dtype: DType) { return structure.astype(this, dtype); },
  to(this: CsrMatrix, target: DType | Device) {
    if (target === 'cpu' || target === 'cuda') {
      if (this.device === target) return this;
      const values = toDevice(this.values, target); // first: without a device, says so as 'to'
      if (target === 'cuda') this.pattern.deviceArrays();
      return new CsrMatrix(this.pattern, values);
    }
    return structure.astype(this, target);
  },
  matmul(this: CsrMatrix, other: Tensor | CsrMatrix) { return matmul(this, other); },
});
Object.assign(CsrMatrix, {
  eye: structure.eye,
  diags: structure.diags,
  kron: structure.kron,
  poisson1d: structure.poisson1d,
  poisson2d: structure.poisson2d,
});

// Gradient accumulation for the tape: native adds on either device, .grad accumulated in
// place, and shared constant seeds (ops/transfer.ts constantOn) recognised so none is written.
setGradOps({ add: addSame, addInPlace, isShared: isSharedConstant });
