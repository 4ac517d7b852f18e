// Elementwise unary ops: exp, log, sqrt, abs, sin, cos, tanh, relu, sigmoid.
// Each VJP is g ⊙ f'(x), written with the saved input x and output y.
// NaN in gives NaN out (and a NaN gradient) except where noted. On 'cuda'
// tensors the same maps and VJPs run on the device (body::apply_unary and
// body::unary_grad in dense_bodies.h).
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { DeviceArray } from '../device.js';
import { uninit } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { denseArg } from './broadcast.js';
import { assertTensor } from './check.js';
import { deviceEmpty } from './transfer.js';

type Deriv = (x: number, y: number) => number;

type DUnary = (op: string, x: DeviceArray, out: DeviceArray) => void;
type DUnaryBackward = (op: string, x: DeviceArray | null, y: DeviceArray | null, g: DeviceArray, dx: DeviceArray) => void;

/** The ops whose derivative reads the output y (the others read the input x, or nothing for neg). */
const READS_Y = new Set(['exp', 'tanh', 'sigmoid', 'sqrt']);

/**
 * A unary op on a 'cuda' tensor, forward and VJP on the device. The VJP keeps
 * only what the derivative reads (x or y), so disposing the other is harmless.
 */
export function unaryDevice(op: string, x: Tensor): Tensor {
  const out = deviceEmpty(x.dtype, x.shape);
  kernel<DUnary>('dUnary')(op, x.buffer, out.buffer);
  return record(op, out, [x], (g) => {
    const dx = deviceEmpty(x.dtype, x.shape);
    const readsY = READS_Y.has(op);
    kernel<DUnaryBackward>('dUnaryBackward')(op, readsY || op === 'neg' ? null : x.buffer, readsY ? out.buffer : null, g.buffer, dx.buffer);
    return [dx];
  });
}

function unary(op: string, x: Tensor, f: (v: number) => number, df: Deriv): Tensor {
  assertTensor(op, 'x', x);
  if (x.device === 'cuda') return unaryDevice(op, x);
  denseArg(op, 'x', x);
  const xd = x.data;
  const o = uninit(x.dtype, x.size);
  for (let i = 0; i < o.length; i++) o[i] = f(xd[i]!);
  const out = new Tensor(o, x.shape);
  return record(op, out, [x], (g) => {
    const d = uninit(g.dtype, g.size);
    const gd = g.data;
    for (let i = 0; i < d.length; i++) d[i] = gd[i]! * df(xd[i]!, o[i]!);
    return [new Tensor(d, x.shape)];
  });
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  // dx = g ⊙ y
  return unary('exp', x, Math.exp, (_x, y) => y);
}

/** Natural logarithm (−∞ at 0, NaN below). */
export function log(x: Tensor): Tensor {
  // dx = g / x
  return unary('log', x, Math.log, (v) => 1 / v);
}

/** Square root (NaN below 0; the gradient at 0 is +∞, as PyTorch). */
export function sqrt(x: Tensor): Tensor {
  // dx = g / (2 y)
  return unary('sqrt', x, Math.sqrt, (_x, y) => 0.5 / y);
}

/** |x|; the gradient at 0 is 0 (sign(0) = 0, as PyTorch). */
export function abs(x: Tensor): Tensor {
  // dx = g sign(x)
  return unary('abs', x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : NaN));
}

export function sin(x: Tensor): Tensor {
  // dx = g cos x
  return unary('sin', x, Math.sin, (v) => Math.cos(v));
}

export function cos(x: Tensor): Tensor {
  // dx = −g sin x
  return unary('cos', x, Math.cos, (v) => -Math.sin(v));
}

export function tanh(x: Tensor): Tensor {
  // dx = g (1 − y²)
  return unary('tanh', x, Math.tanh, (_x, y) => 1 - y * y);
}

/** max(x, 0); the gradient at 0 is 0 (as PyTorch). NaN stays NaN. */
export function relu(x: Tensor): Tensor {
  // dx = g [x > 0]
  return unary('relu', x, (v) => (v > 0 ? v : v === v ? 0 : v), (v) => (v > 0 ? 1 : 0));
}

/** 1 / (1 + e⁻ˣ), evaluated without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  // dx = g y (1 − y)
  return unary('sigmoid', x, stableSigmoid, (_x, y) => y * (1 - y));
}

function stableSigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
