// Elementwise unary ops: exp, log, sqrt, abs, sin, cos, tanh, relu, sigmoid
// (and neg, elementwise.ts). Each VJP is g ⊙ f'(x), written with the saved
// input x or output y. NaN in gives NaN out (and a NaN gradient) except where
// noted. One path for either device: the map and its VJP are native kernels
// (bind_dense_ops.cc) over body::apply_unary and body::unary_grad (dense_bodies.h).
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { assertTensor } from './check.js';
import { empty, type Storage, storage } from './transfer.js';

type UnaryKernel = (op: string, x: Storage, out: Storage) => void;
type UnaryBackward = (op: string, x: Storage | null, y: Storage | null, g: Storage, dx: Storage) => void;

/** The ops whose derivative reads the output y (the others read the input x, or nothing for neg). */
const READS_Y = new Set(['exp', 'tanh', 'sigmoid', 'sqrt']);

/**
 * y = f(x) and its VJP, on x's device. The VJP keeps only what the derivative
 * reads (x or y), so disposing the other is harmless.
 */
export function unaryOp(op: string, x: Tensor): Tensor {
  assertTensor(op, 'x', x);
  const out = empty(x.dtype, x.shape, x.device);
  kernel<UnaryKernel>('unary')(op, storage(x), storage(out));
  return record(op, out, [x], (g) => {
    const dx = empty(x.dtype, x.shape, x.device);
    const readsY = READS_Y.has(op);
    kernel<UnaryBackward>('unaryBackward')(op, readsY || op === 'neg' ? null : storage(x), readsY ? storage(out) : null, storage(g), storage(dx));
    return [dx];
  });
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  // dx = g ⊙ y
  return unaryOp('exp', x);
}

/** Natural logarithm (−∞ at 0, NaN below). */
export function log(x: Tensor): Tensor {
  // dx = g / x
  return unaryOp('log', x);
}

/** Square root (NaN below 0; the gradient at 0 is +∞, as PyTorch). */
export function sqrt(x: Tensor): Tensor {
  // dx = g / (2 y)
  return unaryOp('sqrt', x);
}

/** |x|; the gradient at 0 is 0 (sign(0) = 0, as PyTorch). */
export function abs(x: Tensor): Tensor {
  // dx = g sign(x)
  return unaryOp('abs', x);
}

export function sin(x: Tensor): Tensor {
  // dx = g cos x
  return unaryOp('sin', x);
}

export function cos(x: Tensor): Tensor {
  // dx = −g sin x
  return unaryOp('cos', x);
}

export function tanh(x: Tensor): Tensor {
  // dx = g (1 − y²)
  return unaryOp('tanh', x);
}

/** max(x, 0); the gradient at 0 is 0 (as PyTorch). NaN stays NaN. */
export function relu(x: Tensor): Tensor {
  // dx = g [x > 0]
  return unaryOp('relu', x);
}

/** 1 / (1 + e⁻ˣ), evaluated without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  // dx = g y (1 − y)
  return unaryOp('sigmoid', x);
}
