// reshape: the same storage under another shape, a view on either device. It
// sits below the other shape ops and the elementwise ops, which both use it.
import { record } from '../autograd.js';
import { expected, fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { sizeOf } from './broadcast.js';
import { assertTensor } from './check.js';

/**
 * The same entries under another shape (one dimension may be −1: inferred).
 * Shares x's storage, as PyTorch's view.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'reshape';
  assertTensor(op, 'x', x); // any device: a view
  if (!Array.isArray(shape)) expected(op, 'an array of dimensions', 'shape', shape);
  let infer = -1;
  let known = 1;
  for (let d = 0; d < shape.length; d++) {
    const v = shape[d];
    if (v === -1 && infer < 0) infer = d;
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(op, `shape [${shape.join(', ')}] must hold non-negative integers and at most one -1`);
    else known *= v;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) fail(op, `cannot reshape a tensor of shape ${shapeStr(x.shape)} (${x.size} entries) into [${shape.join(', ')}]`);
    out[infer] = x.size / known;
  }
  if (sizeOf(out) !== x.size) fail(op, `cannot reshape a tensor of shape ${shapeStr(x.shape)} (${x.size} entries) into [${shape.join(', ')}]`);
  // dx = g viewed in x's shape
  return record(op, x.view(out), [x], (g) => [g.view(x.shape)]);
}
