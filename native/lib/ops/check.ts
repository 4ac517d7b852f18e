// Argument checks shared by the op files. Each throws a message that names the op.
import { CsrMatrix } from '../csr.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';

export function csrArg(op: string, name: string, A: unknown): CsrMatrix {
  if (!(A instanceof CsrMatrix)) expected(op, 'a CsrMatrix', name, A);
  notDisposed(op, name, A);
  return A;
}

/** `t` is a live Tensor (as tensorArg, for an argument used in place). */
export function assertTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  tensorArg(op, name, t);
}

export function tensorArg(op: string, name: string, t: unknown, ndim?: number | readonly number[]): Tensor {
  if (!(t instanceof Tensor)) expected(op, 'a Tensor', name, t);
  notDisposed(op, name, t);
  if (ndim !== undefined) {
    const allowed = typeof ndim === 'number' ? [ndim] : ndim;
    if (!allowed.includes(t.ndim)) {
      fail(op, `${name} must be ${allowed.map((d) => `${d}-D`).join(' or ')} but has shape ${shapeStr(t.shape)}`);
    }
  }
  return t;
}

/** An operand that was disposed is an error naming the op, before anything is allocated for its result. */
function notDisposed(op: string, name: string, x: { isDisposed: boolean }): void {
  if (x.isDisposed) fail(op, `${name} was disposed`);
}

/** All operands are live and share one dtype and one device. */
export function sameKind(op: string, ...operands: [string, { dtype: string; device: string; isDisposed: boolean }][]): void {
  for (const [name, x] of operands) notDisposed(op, name, x);
  const [firstName, first] = operands[0]!;
  for (const [name, x] of operands.slice(1)) {
    if (x.dtype !== first.dtype) fail(op, `mixed dtypes: ${firstName} is ${first.dtype} but ${name} is ${x.dtype} (convert one with .to())`);
    if (x.device !== first.device) fail(op, `mixed devices: ${firstName} is on ${first.device} but ${name} is on ${x.device}`);
  }
}

/** Whether two arrays hold the same numbers (NaN never matches: a cache keyed by contents then rebuilds). */
export function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function optionsArg<T extends object>(op: string, opts: unknown): Partial<T> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) expected(op, 'an options object', 'options', opts);
  return opts as Partial<T>;
}
