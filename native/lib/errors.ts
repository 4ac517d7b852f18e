// One error formatter for the whole API (after sharp's lib/is.mjs): messages name
// the op and say what was expected and what was received.

export class SparseAdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparseAdError';
  }
}

export function fail(op: string, message: string): never {
  throw new SparseAdError(`${op}: ${message}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    if (ctor === 'Tensor') {
      const t = value as { shape: readonly number[]; dtype: string };
      return `Tensor of shape [${t.shape.join(', ')}] (${t.dtype})`;
    }
    if (ctor === 'CsrMatrix') {
      const m = value as { shape: readonly number[]; dtype: string };
      return `CsrMatrix of shape [${m.shape.join(', ')}] (${m.dtype})`;
    }
    return ctor ? `${ctor} object` : 'object';
  }
  if (typeof value === 'number') return `number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Throws `${op}: expected ${expected} for ${name} but received ${describe(actual)}`. */
export function expected(op: string, expectedWhat: string, name: string, actual: unknown): never {
  return fail(op, `expected ${expectedWhat} for ${name} but received ${describe(actual)}`);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
