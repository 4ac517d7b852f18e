// The strict pickle reader: hand-assembled pickles for each construct and each
// error, and the real Planetoid CiteSeer files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isCsr, isNdArray, PickleError, PyDict, readPickle } from '../../experiments/data/pickle.js';
import { sharedData } from '../helpers.js';

/** Assembles a pickle from opcode bytes, numbers (one byte each) and latin-1 strings. */
function pk(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const i32 = (v: number): Uint8Array => new Uint8Array(Int32Array.of(v).buffer);
const u16 = (v: number): Uint8Array => new Uint8Array(Uint16Array.of(v).buffer);
const sbs = (s: string | Uint8Array): (number | string | Uint8Array)[] => [0x55, s.length, s];

const PROTO = [0x80, 2];
const STOP = 0x2e;
const MARK = 0x28;

/** A pickled float64 ndarray of shape (2, 2), as numpy writes it. */
function ndarray(values: number[], shape: number[], byteLength = values.length * 8): Uint8Array {
  const raw = new Uint8Array(new Float64Array(values).buffer).slice(0, byteLength);
  return pk(
    ...PROTO,
    0x63, 'numpy.core.multiarray\n_reconstruct\n',
    0x63, 'numpy\nndarray\n',
    0x4b, 0, 0x85, ...sbs('b'), 0x87, 0x52,
    MARK,
    0x4b, 1,
    ...shape.flatMap((d) => [0x4b, d]), 0x86,
    0x63, 'numpy\ndtype\n', ...sbs('f8'), 0x4b, 0, 0x4b, 1, 0x87, 0x52,
    MARK, 0x4b, 3, ...sbs('<'), 0x4e, 0x4e, 0x4e, 0x4a, i32(-1), 0x4a, i32(-1), 0x4b, 0, 0x74, 0x62,
    0x89,
    0x54, i32(raw.length), raw,
    0x74, 0x62,
    STOP,
  );
}

function throwsPickle(bytes: Uint8Array, message: string): void {
  assert.throws(() => readPickle(bytes, 'test.pkl'), (e: unknown) => {
    assert.ok(e instanceof PickleError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

describe('readPickle on hand-made pickles', () => {
  it('reads lists of ints (BININT1, BININT2, BININT, APPEND, APPENDS)', () => {
    const v = readPickle(pk(...PROTO, 0x5d, 0x4b, 7, 0x61, MARK, 0x4b, 3, 0x4d, u16(300), 0x4a, i32(-5), 0x65, STOP), 'a.pkl');
    assert.deepEqual(v, [7, 3, 300, -5]);
  });

  it('reads a defaultdict(list) with memo references (BINPUT, BINGET, SETITEMS)', () => {
    const bytes = pk(
      ...PROTO,
      0x63, 'collections\ndefaultdict\n', 0x71, 1,
      0x63, '__builtin__\nlist\n', 0x85, 0x52,
      MARK, 0x4b, 0, 0x5d, 0x71, 2, 0x4b, 1, 0x61, 0x4b, 1, 0x68, 2, 0x75,
      STOP,
    );
    const v = readPickle(bytes, 'g.pkl');
    assert.ok(v instanceof PyDict);
    assert.equal(v.defaultFactory, 'list');
    assert.deepEqual([...v.map.entries()], [[0, [1]], [1, [1]]]);
  });

  it('reads a numpy array (reconstruct, dtype, BUILD, BINSTRING data)', () => {
    const v = readPickle(ndarray([1, 2.5, -3, 4], [2, 2]), 'n.pkl');
    assert.ok(isNdArray(v));
    assert.equal(v.dtype, 'f8');
    assert.deepEqual(v.shape, [2, 2]);
    assert.deepEqual(Array.from(v.data as Float64Array), [1, 2.5, -3, 4]);
  });

  it('rejects what it does not know, naming the file and the byte', () => {
    throwsPickle(pk(0x80, 3, 0x4e, STOP), 'test.pkl: pickle protocol 3 (only protocol 2 is read) (at byte 0)');
    throwsPickle(pk(...PROTO, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, STOP), 'test.pkl: unsupported pickle opcode 0x47 (this reader knows only 29 opcodes, those of the Planetoid files) (at byte 2)');
    throwsPickle(pk(...PROTO, 0x63, 'os\nsystem\n', STOP), "test.pkl: unsupported global 'os system' (only scipy CSR matrices, numpy arrays and dicts of lists are read) (at byte 2)");
    throwsPickle(pk(...PROTO, 0x63, '__builtin__\nlist\n', 0x29, 0x52, STOP), "test.pkl: '__builtin__ list' cannot be called (at byte 21)");
  });

  it('rejects malformed pickles', () => {
    const good = ndarray([1, 2, 3, 4], [2, 2]);
    throwsPickle(good.subarray(0, 150), 'test.pkl: the pickle is truncated (needs 32 more bytes, 29 left) (at byte 116)');
    throwsPickle(pk(good, 0x4e), 'test.pkl: 1 bytes after the end of the pickle (at byte 155)');
    throwsPickle(ndarray([1, 2, 3, 4], [2, 2], 24), 'test.pkl: ndarray of shape (2, 2) and dtype f8 needs 32 bytes but has 24 (at byte 146)');
    throwsPickle(pk(...PROTO, 0x61, STOP), 'test.pkl: stack underflow (at byte 2)');
    throwsPickle(pk(...PROTO, 0x4e, 0x4e, STOP), 'test.pkl: values left on the stack at STOP (at byte 4)');
    throwsPickle(pk(...PROTO, 0x68, 9, STOP), 'test.pkl: memo entry 9 was never stored (at byte 2)');
    throwsPickle(pk(...PROTO, 0x4e, 0x65, STOP), 'test.pkl: no MARK on the stack (at byte 3)');
    throwsPickle(pk(...PROTO, 0x4e), 'test.pkl: the pickle is truncated (needs 1 more bytes, 0 left) (at byte 3)');
  });
});

describe('readPickle on the Planetoid CiteSeer files', () => {
  const raw = (part: string): { file: string; bytes: Uint8Array } => {
    const file = join(sharedData('citeseer', 'raw'), `ind.citeseer.${part}`);
    return { file, bytes: new Uint8Array(readFileSync(file)) };
  };

  it('reads the scipy CSR feature matrices', () => {
    for (const [part, rows, nnz] of [['x', 120, 3778], ['tx', 1000, 31992], ['allx', 2312, 73173]] as const) {
      const { file, bytes } = raw(part);
      const v = readPickle(bytes, file);
      assert.ok(isCsr(v), part);
      assert.deepEqual(v.shape, [rows, 3703]);
      assert.equal(v.data.dtype, 'f4');
      assert.equal(v.indices.data.length, nnz);
      assert.equal(v.indptr.data.length, rows + 1);
      assert.ok(Array.from(v.data.data as Float32Array).every((x) => x === 1), `${part}: binary bag of words`);
    }
  });

  it('reads the one-hot label arrays', () => {
    for (const [part, rows] of [['y', 120], ['ty', 1000], ['ally', 2312]] as const) {
      const { file, bytes } = raw(part);
      const v = readPickle(bytes, file);
      assert.ok(isNdArray(v), part);
      assert.deepEqual(v.shape, [rows, 6]);
      assert.equal(v.dtype, 'i4');
      const d = v.data as Int32Array;
      for (let r = 0; r < rows; r++) assert.equal(d[r * 6]! + d[r * 6 + 1]! + d[r * 6 + 2]! + d[r * 6 + 3]! + d[r * 6 + 4]! + d[r * 6 + 5]!, 1);
    }
  });

  it('reads the adjacency lists', () => {
    const { file, bytes } = raw('graph');
    const v = readPickle(bytes, file);
    assert.ok(v instanceof PyDict);
    assert.equal(v.map.size, 3327);
    assert.deepEqual(v.map.get(0), [628]);
    assert.deepEqual(v.map.get(1), [158, 2919, 2933, 1097, 486]);
    let entries = 0;
    for (const list of v.map.values()) entries += (list as number[]).length;
    assert.equal(entries, 9464); // 2 × 4732, as the data README states
  });

  it('names the file when one is corrupt', () => {
    const { file, bytes } = raw('y');
    assert.throws(() => readPickle(bytes.subarray(0, 1000), file), (e: unknown) => {
      assert.ok(e instanceof PickleError);
      assert.ok(e.message.startsWith(`${file}: the pickle is truncated`), e.message);
      return true;
    });
  });
});
