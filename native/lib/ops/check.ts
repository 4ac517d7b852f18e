// Argument checks shared by the op files. Each throws a message that names the op.
import { CsrMatrix } from '../csr.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';

export function csrArg(op: string, name: string, A: unknown): CsrMatrix {
  if (!(A instanceof CsrMatrix)) expected(op, 'a CsrMatrix', name, A);
  return A;
}

export function tensorArg(op: string, name: string, t: unknown, ndim?: number | readonly number[]): Tensor {
  if (!(t instanceof Tensor)) expected(op, 'a Tensor', name, t);
  if (ndim !== undefined) {
    const allowed = typeof ndim === 'number' ? [ndim] : ndim;
    if (!allowed.includes(t.ndim)) {
      fail(op, `${name} must be ${allowed.map((d) => `${d}-D`).join(' or ')} but has shape ${shapeStr(t.shape)}`);
    }
  }
  return t;
}

/** All operands share one dtype and one device. */
export function sameKind(op: string, ...operands: [string, { dtype: string; device: string }][]): void {
  const [firstName, first] = operands[0]!;
  for (const [name, x] of operands.slice(1)) {
    if (x.dtype !== first.dtype) fail(op, `mixed dtypes: ${firstName} is ${first.dtype} but ${name} is ${x.dtype} (convert one with .to())`);
    if (x.device !== first.device) fail(op, `mixed devices: ${firstName} is on ${first.device} but ${name} is on ${x.device}`);
  }
}

export function optionsArg<T extends object>(op: string, opts: unknown): Partial<T> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) expected(op, 'an options object', 'options', opts);
  return opts as Partial<T>;
}
