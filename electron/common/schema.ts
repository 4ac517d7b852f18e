// A small schema checker for what crosses IPC: every message the host receives
// is checked against one of these before anything acts on it. Objects are
// closed (unknown keys are rejected), strings and arrays are bounded, numbers
// are finite. Messages read `<where>: expected <what> but received <value>`.

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** Returns the value (typed) or throws SchemaError naming `path`. */
  check(value: unknown, path: string): T;
  describe: string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

function bad(path: string, what: string, value: unknown): never {
  throw new SchemaError(`${path}: expected ${what} but received ${received(value)}`);
}

export function string(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  const describe = `a string of ${min}..${max} characters${opts.pattern ? ` matching ${opts.pattern}` : ''}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'string' || v.length < min || v.length > max || (opts.pattern && !opts.pattern.test(v))) bad(path, describe, v);
      return v;
    },
  };
}

export function number(opts: { int?: boolean; min?: number; max?: number } = {}): Schema<number> {
  const parts = [opts.int ? 'an integer' : 'a finite number'];
  if (opts.min !== undefined) parts.push(`≥ ${opts.min}`);
  if (opts.max !== undefined) parts.push(`≤ ${opts.max}`);
  const describe = parts.join(' ');
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(path, describe, v);
      if ((opts.int && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) bad(path, describe, v);
      return v;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    describe: 'true or false',
    check(v, path) {
      if (typeof v !== 'boolean') bad(path, 'true or false', v);
      return v;
    },
  };
}

export function literal<const T extends string>(...values: T[]): Schema<T> {
  const describe = values.length === 1 ? `'${values[0]}'` : `one of ${values.map((x) => `'${x}'`).join(', ')}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'string' || !(values as string[]).includes(v)) bad(path, describe, v);
      return v as T;
    },
  };
}

export function bytes(opts: { max: number }): Schema<Uint8Array> {
  const describe = `a Uint8Array of at most ${opts.max} bytes`;
  return {
    describe,
    check(v, path) {
      if (!(v instanceof Uint8Array) || v.byteLength > opts.max) bad(path, describe, v);
      return v;
    },
  };
}

export function array<T>(of: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 1000;
  const describe = `an array of at most ${max} items`;
  return {
    describe,
    check(v, path) {
      if (!Array.isArray(v) || v.length > max) bad(path, describe, v);
      return v.map((item, i) => of.check(item, `${path}[${i}]`));
    },
  };
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } {
  return {
    optional: true,
    describe: `${inner.describe} (optional)`,
    check(v, path) {
      return v === undefined ? undefined : inner.check(v, path);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A closed object: every key of `shape` checked, any other key rejected. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const describe = keys.length ? `an object with ${keys.join(', ')}` : 'an empty object';
  return {
    describe,
    check(v, path) {
      if (!isPlainObject(v)) bad(path, describe, v);
      for (const k of Object.keys(v)) {
        if (!Object.prototype.hasOwnProperty.call(shape, k)) throw new SchemaError(`${path}: unexpected field '${k}' (allowed: ${keys.join(', ') || 'none'})`);
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const field = shape[k]!;
        const value = field.check(v[k], `${path}.${k}`);
        if (value !== undefined) out[k] = value;
      }
      return out as ObjectOf<S>;
    },
  };
}

/** One of several closed objects, told apart by a string field (e.g. `kind`). */
export function tagged<K extends string, M extends Record<string, Schema<unknown>>>(key: K, variants: M): Schema<Infer<M[keyof M]>> {
  const tags = Object.keys(variants);
  const describe = `an object whose ${key} is one of ${tags.map((t) => `'${t}'`).join(', ')}`;
  return {
    describe,
    check(v, path) {
      if (!isPlainObject(v)) bad(path, describe, v);
      const tag = v[key];
      if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) bad(`${path}.${key}`, `one of ${tags.map((t) => `'${t}'`).join(', ')}`, tag);
      return variants[tag]!.check(v, path) as Infer<M[keyof M]>;
    },
  };
}

/**
 * Any JSON value (plain objects, arrays, strings, finite numbers, booleans,
 * null), bounded in depth and total size; its meaning is checked later by the
 * validator that owns it (a problem spec by experiments/spec).
 */
export function json(opts: { maxDepth?: number; maxNodes?: number } = {}): Schema<unknown> {
  const maxDepth = opts.maxDepth ?? 16;
  const maxNodes = opts.maxNodes ?? 20000;
  const describe = `JSON data (depth ≤ ${maxDepth}, ≤ ${maxNodes} values)`;
  return {
    describe,
    check(v, path) {
      let nodes = 0;
      const walk = (x: unknown, p: string, depth: number): void => {
        if (++nodes > maxNodes) throw new SchemaError(`${path}: expected ${describe} but it holds more values`);
        if (depth > maxDepth) throw new SchemaError(`${p}: expected ${describe} but it nests deeper`);
        if (x === null || typeof x === 'boolean' || typeof x === 'string') return;
        if (typeof x === 'number') {
          if (!Number.isFinite(x)) bad(p, 'a finite number', x);
          return;
        }
        if (Array.isArray(x)) {
          x.forEach((item, i) => walk(item, `${p}[${i}]`, depth + 1));
          return;
        }
        if (isPlainObject(x)) {
          for (const [k, item] of Object.entries(x)) walk(item, `${p}.${k}`, depth + 1);
          return;
        }
        bad(p, 'JSON data', x);
      };
      walk(v, path, 0);
      return v;
    },
  };
}
