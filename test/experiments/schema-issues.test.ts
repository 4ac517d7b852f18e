// The one wording of a zod error (experiments/schema/issues.ts): every bound the
// schema holds, the value received, the field's path; union branches chosen by
// the value's type and discriminator. Each expected message is written out here
// by hand from the schema beside it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { dottedPath, jsonPointer, parse } from '../../experiments/schema/issues.js';

/** The messages for `input` under `schema`, as "path: message". */
function said(schema: z.ZodType, input: unknown): string[] {
  const r = parse(schema, input);
  assert.equal(r.ok, false, `expected ${JSON.stringify(input)} to be refused`);
  return r.ok ? [] : r.issues.map((i) => `${dottedPath('x', i.path)}: ${i.message}`);
}

describe('issue wording', () => {
  it('numbers: every bound, open or closed; integers; NaN and Infinity', () => {
    const s = z.strictObject({
      a: z.int().min(1).max(10),
      b: z.number().gt(0),
      c: z.number().min(0).lt(1),
      d: z.number().gt(0).max(1),
      e: z.int().min(0),
      f: z.number(),
    });
    const ok = { a: 1, b: 1, c: 0, d: 1, e: 0, f: 0 };
    assert.deepEqual(parse(s, ok), { ok: true, data: ok });
    assert.deepEqual(said(s, { ...ok, a: 11 }), ['x.a: expected an integer in [1, 10] but received 11']);
    assert.deepEqual(said(s, { ...ok, a: 2.5 }), ['x.a: expected an integer in [1, 10] but received 2.5']);
    assert.deepEqual(said(s, { ...ok, b: 0 }), ['x.b: expected a number > 0 but received 0']);
    assert.deepEqual(said(s, { ...ok, c: 1 }), ['x.c: expected a number in [0, 1) but received 1']);
    assert.deepEqual(said(s, { ...ok, d: 0 }), ['x.d: expected a number in (0, 1] but received 0']);
    assert.deepEqual(said(s, { ...ok, e: -1 }), ['x.e: expected an integer ≥ 0 but received -1']);
    assert.deepEqual(said(s, { ...ok, f: Number.NaN }), ['x.f: expected a number but received NaN']);
    assert.deepEqual(said(s, { ...ok, f: Number.NEGATIVE_INFINITY }), ['x.f: expected a number but received -Infinity']);
  });

  it('strings, enums, literals, booleans, arrays, tuples, nullables, missing fields', () => {
    const s = z.strictObject({
      id: z.string().min(1).max(8).regex(/^[a-z]+$/),
      name: z.string().min(1),
      mode: z.enum(['fast', 'exact']),
      v: z.literal(2),
      on: z.boolean(),
      xs: z.array(z.enum(['a', 'b'])).max(2),
      pair: z.tuple([z.number().min(0), z.number().min(0)]),
      note: z.string().nullable(),
    });
    const ok = { id: 'ab', name: 'n', mode: 'fast', v: 2, on: true, xs: ['a'], pair: [0, 1], note: null };
    assert.ok(parse(s, ok).ok);
    assert.deepEqual(said(s, { ...ok, id: 'A/B' }), ['x.id: expected a string of 1..8 characters matching /^[a-z]+$/ but received "A/B"']);
    assert.deepEqual(said(s, { ...ok, name: '' }), ['x.name: expected a non-empty string but received ""']);
    assert.deepEqual(said(s, { ...ok, mode: 'slow' }), ['x.mode: expected one of "fast", "exact" but received "slow"']);
    assert.deepEqual(said(s, { ...ok, v: 1 }), ['x.v: expected 2 but received 1']);
    assert.deepEqual(said(s, { ...ok, on: 'yes' }), ['x.on: expected true or false but received "yes"']);
    assert.deepEqual(said(s, { ...ok, xs: ['a', 'c'] }), ['x.xs[1]: expected one of "a", "b" but received "c"']);
    assert.deepEqual(said(s, { ...ok, xs: ['a', 'a', 'b'] }), ['x.xs: expected an array of at most 2 items, each one of "a", "b" but received an array of length 3']);
    assert.deepEqual(said(s, { ...ok, pair: [1] }), ['x.pair: expected an array of 2 items, each a number ≥ 0 but received an array of length 1']);
    assert.deepEqual(said(s, { ...ok, note: 3 }), ['x.note: expected a string or null but received 3']);
    const { name: _, ...noName } = ok;
    assert.deepEqual(said(s, noName), ['x.name: expected a non-empty string but received nothing']);
    assert.deepEqual(said(s, { ...ok, extra: 1, more: 2 }), [
      'x.extra: unknown field (expected one of id, name, mode, v, on, xs, pair, note)',
      'x.more: unknown field (expected one of id, name, mode, v, on, xs, pair, note)',
    ]);
  });

  it('unions: the branch meant for the value, by its type or its discriminator (also nested)', () => {
    const decay = z.number().min(0);
    const s = z.strictObject({
      w: z.union([decay, z.record(z.string(), decay)]),
      src: z.discriminatedUnion('kind', [
        z.discriminatedUnion('name', [
          z.strictObject({ kind: z.literal('gen'), name: z.literal('line'), n: z.int().min(1) }),
          z.strictObject({ kind: z.literal('gen'), name: z.literal('grid'), nx: z.int().min(1) }),
        ]),
        z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
      ]),
    });
    const ok = { w: 0, src: { kind: 'file', path: 'a' } };
    assert.ok(parse(s, ok).ok);
    assert.deepEqual(said(s, { ...ok, w: -1 }), ['x.w: expected a number ≥ 0 but received -1']);
    assert.deepEqual(said(s, { ...ok, w: { a: -1 } }), ['x.w.a: expected a number ≥ 0 but received -1']);
    assert.deepEqual(said(s, { ...ok, w: 'big' }), ['x.w: expected a number ≥ 0 or an object but received "big"']);
    assert.deepEqual(said(s, { ...ok, src: { kind: 'url' } }), ['x.src.kind: expected one of "gen", "file" but received "url"']);
    assert.deepEqual(said(s, { ...ok, src: { kind: 'gen', name: 'cube' } }), ['x.src.name: expected one of "line", "grid" but received "cube"']);
    assert.deepEqual(said(s, { ...ok, src: { kind: 'gen', name: 'grid', nx: 0 } }), ['x.src.nx: expected an integer ≥ 1 but received 0']);
    assert.deepEqual(said(s, { ...ok, src: { kind: 'gen', name: 'grid', nx: 1, n: 2 } }), ['x.src.n: unknown field (expected one of kind, name, nx)']);
    assert.deepEqual(said(s, { ...ok, src: { kind: 'file', path: 'a', n: 2 } }), ['x.src.n: unknown field (expected one of kind, path)']);
  });

  it("refinements keep their own sentence; a check's own message and a z.custom()'s .meta({ expected }) say what is expected; recursive schemas resolve", () => {
    const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array).meta({ expected: 'a Uint8Array' });
    const s = z
      .strictObject({ data: bytes, lo: z.number(), hi: z.number() })
      .refine((r) => r.lo <= r.hi, { message: 'lo must not exceed hi', path: ['lo'] });
    assert.deepEqual(said(s, { data: [1], lo: 0, hi: 1 }), ['x.data: expected a Uint8Array but received an array of length 1']);
    assert.deepEqual(said(s, { data: new Uint8Array(1), lo: 2, hi: 1 }), ['x.lo: lo must not exceed hi']);
    // A check's own message names what it expects.
    const q = z.strictObject({ queue: z.string().max(100).regex(/^rediss?:\/\//, 'a Redis URL (redis://host:port)'), w: z.number({ error: 'a weight' }) });
    assert.deepEqual(said(q, { queue: 'http://x', w: 'heavy' }), ['x.queue: expected a Redis URL (redis://host:port) but received "http://x"', 'x.w: expected a weight but received "heavy"']);
    interface Tree { value: number; children: Tree[] }
    const tree: z.ZodType<Tree> = z.lazy(() => z.strictObject({ value: z.int().min(0), children: z.array(tree) }));
    assert.deepEqual(said(tree, { value: 1, children: [{ value: 2, children: [{ value: -3, children: [] }] }] }), ['x.children[0].children[0].value: expected an integer ≥ 0 but received -3']);
  });

  it('paths: dotted for people, JSON Pointer (RFC 6901 escapes) for documents', () => {
    assert.equal(dottedPath('spec', ['a', 0, 'b']), 'spec.a[0].b');
    assert.equal(dottedPath('', ['a', 'b']), 'a.b');
    assert.equal(dottedPath('spec', []), 'spec');
    assert.equal(jsonPointer(['a/b', 'c~d', 3]), '/a~1b/c~0d/3');
    assert.equal(jsonPointer([]), '');
  });
});
