// CsrMatrix.fromCoo / fromDense and cooToCsrPattern (native/lib/csr.ts,
// native/core/coo_cpu.cc) against references written here: a sort of the
// (row, col) keys for the structure and slots, entry-order sums in float64 or
// through a Float32Array for the duplicates, a scan of the dense entries, the
// exact error messages, and the gradients (a gather for fromCoo, a scatter for
// fromDense).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, Generator, gradcheck, setThreads, getThreads, tensor, Tensor, type DType } from '../../native/lib/index.js';
import { COO_JS_MAX, cooToCsrPattern, DENSE_JS_MAX } from '../../native/lib/csr.js';

interface Ref {
  indptr: number[];
  indices: number[];
  slot: number[];
  values: number[];
}

/** The CSR form of COO entries by sorting their keys i·cols + j; duplicates summed in entry order in `dtype`. */
function cooRef(rows: number, cols: number, r: ArrayLike<number>, c: ArrayLike<number>, v: ArrayLike<number>, dtype: DType): Ref {
  const n = r.length;
  const keys = [...new Set(Array.from({ length: n }, (_, k) => r[k]! * cols + c[k]!))].sort((a, b) => a - b);
  const where = new Map(keys.map((key, p) => [key, p]));
  const slot = Array.from({ length: n }, (_, k) => where.get(r[k]! * cols + c[k]!)!);
  const indptr = new Array<number>(rows + 1).fill(0);
  for (const key of keys) indptr[Math.floor(key / cols) + 1]!++;
  for (let i = 0; i < rows; i++) indptr[i + 1]! += indptr[i]!;
  // float32: each add rounded to float32 (Math.fround of the double sum), as a Float32Array loop does.
  const round = dtype === 'float32' ? Math.fround : (x: number): number => x;
  const values = new Array<number>(keys.length).fill(0);
  for (let k = 0; k < n; k++) values[slot[k]!] = round(values[slot[k]!]! + round(v[k]!));
  return { indptr, indices: keys.map((key) => key % cols), slot, values };
}

/** Random entries in a rows × cols matrix, unsorted, about `dupFrac` of them repeating an earlier (row, col). */
function randomCoo(gen: Generator, n: number, rows: number, cols: number, dupFrac: number): { r: number[]; c: number[]; v: number[] } {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let k = 0; k < n; k++) {
    if (k > 0 && gen.uniform() < dupFrac) {
      const src = gen.integer(k);
      r.push(r[src]!);
      c.push(c[src]!);
    } else {
      r.push(gen.integer(rows));
      c.push(gen.integer(cols));
    }
    v.push(gen.normal() * 10 ** gen.integer(6));
  }
  return { r, c, v };
}

const bits = (a: ArrayLike<number>): string[] => Array.from(a, (x) => (Object.is(x, -0) ? '-0' : String(x)));

function assertMatches(A: CsrMatrix, ref: Ref, msg: string): void {
  assert.deepEqual(Array.from(A.indptr), ref.indptr, `${msg}: indptr`);
  assert.deepEqual(Array.from(A.indices), ref.indices, `${msg}: indices`);
  assert.deepEqual(bits(A.values.toArray()), bits(ref.values), `${msg}: values`);
}

test('the JavaScript thresholds are where these tests cross them', () => {
  assert.ok(COO_JS_MAX >= 24 && COO_JS_MAX < 44, `COO_JS_MAX ${COO_JS_MAX}`);
  assert.ok(DENSE_JS_MAX >= 24 && DENSE_JS_MAX < 301, `DENSE_JS_MAX ${DENSE_JS_MAX}`);
});

test('fromCoo: random unsorted entries with many duplicates give the reference structure, slots and entry-order sums, bit for bit (float64, float32)', () => {
  const gen = new Generator(5);
  const shapes: [number, number, number, number][] = [
    [3000, 40, 30, 0.5], // far more entries than positions
    [500, 100, 7, 0.3], // few columns
    [2000, 9, 300, 0.3], // empty rows and columns left over
    [1, 4, 4, 0], // these three take the JavaScript path (COO_JS_MAX)
    [12, 3, 4, 0.5],
    [20, 2, 2, 0.6],
    [70_000, 300, 200, 0.3], // above the kernel's grain, so the index checks split over threads
  ];
  const threads = getThreads();
  try {
    for (const t of [1, 2]) {
      setThreads(t);
      for (const [n, rows, cols, dup] of shapes) {
        const { r, c, v } = randomCoo(gen, n, rows, cols, dup);
        for (const dtype of ['float64', 'float32'] as DType[]) {
          const vals = dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
          const ref = cooRef(rows, cols, r, c, vals, dtype);
          const A = CsrMatrix.fromCoo(Int32Array.from(r), Int32Array.from(c), vals, [rows, cols], { dtype });
          assertMatches(A, ref, `${n} entries in ${rows}x${cols}, ${dtype}, ${t} threads`);
          assert.deepEqual(Array.from(cooToCsrPattern(rows, cols, r, c).slot), ref.slot, `${n} entries: slot`);
        }
      }
    }
  } finally {
    setThreads(threads);
  }
});

test('fromCoo: float32 duplicate sums are the bits of the Float32Array loop `out[slot[k]] += v[k]`', () => {
  // Values of mixed magnitudes, where a float64 sum rounded once would differ.
  const gen = new Generator(11);
  for (const n of [20, 4000]) {
    const r = Array.from({ length: n }, () => gen.integer(3));
    const c = Array.from({ length: n }, () => gen.integer(2));
    const v = Float32Array.from({ length: n }, () => gen.normal() * 10 ** (gen.integer(9) - 4));
    const A = CsrMatrix.fromCoo(r, c, v, [3, 2], { dtype: 'float32' });
    const { slot } = cooToCsrPattern(3, 2, r, c);
    const out = new Float32Array(A.nnz);
    for (let k = 0; k < n; k++) out[slot[k]!] += v[k]!;
    assert.deepEqual(bits(A.values.toArray()), bits(out), `${n} entries`);
    // ...which is not the float64 sum rounded once (the test could tell them apart).
    const once = new Float64Array(A.nnz);
    for (let k = 0; k < n; k++) once[slot[k]!] += v[k]!;
    if (n > 100) assert.notDeepEqual(bits(Float32Array.from(once)), bits(out));
  }
});

test('fromCoo: hand-worked duplicates, empty rows and sorting', () => {
  // (2,1) twice and (0,3) three times; row 1 and column 0, 2 empty.
  // In a 4 × 4 matrix (the JavaScript path) and a 4 × 40 one (native).
  for (const cols of [4, 40]) {
    const A = CsrMatrix.fromCoo([2, 0, 0, 2, 0, 3], [1, 3, 3, 1, 3, 1], [1, 2, 4, 8, 16, 32], [4, cols]);
    assert.deepEqual(Array.from(A.indptr), [0, 1, 1, 2, 3]);
    assert.deepEqual(Array.from(A.indices), [3, 1, 1]);
    assert.deepEqual(Array.from(A.values.toArray()), [22, 9, 32]);
    assert.deepEqual(Array.from(cooToCsrPattern(4, cols, [2, 0, 0, 2, 0, 3], [1, 3, 3, 1, 3, 1]).slot), [1, 0, 0, 1, 0, 2]);
  }
  // Columns sorted within a row whatever the entry order.
  const B = CsrMatrix.fromCoo([1, 1, 1, 0], [5, 0, 3, 2], [1, 2, 3, 4], [2, 6]);
  assert.deepEqual(Array.from(B.indptr), [0, 1, 4]);
  assert.deepEqual(Array.from(B.indices), [2, 0, 3, 5]);
  assert.deepEqual(Array.from(B.values.toArray()), [4, 2, 3, 1]);
});

test('fromCoo: number[], Int32Array, Uint32Array, Int16Array, Uint8Array and Float64Array/Float32Array indices give the same matrix', () => {
  const gen = new Generator(3);
  const { r, c, v } = randomCoo(gen, 600, 50, 60, 0.3);
  const ref = cooRef(50, 60, r, c, v, 'float64');
  const kinds = [Array.from, Int32Array.from.bind(Int32Array), Uint32Array.from.bind(Uint32Array), Int16Array.from.bind(Int16Array),
    Uint8Array.from.bind(Uint8Array), Float64Array.from.bind(Float64Array), Float32Array.from.bind(Float32Array)] as ((a: number[]) => ArrayLike<number>)[];
  for (const make of kinds) {
    const A = CsrMatrix.fromCoo(make(r), make(c), v, [50, 60]);
    assertMatches(A, ref, make(r).constructor.name);
  }
  // Mixed kinds, and an Int32Array view with an offset into a larger buffer.
  const buf = new Int32Array(r.length + 3);
  buf.set(r, 3);
  assertMatches(CsrMatrix.fromCoo(buf.subarray(3), Float64Array.from(c), v, [50, 60]), ref, 'offset view + Float64Array');
});

test('fromCoo: empty shapes and no entries', () => {
  for (const [rows, cols] of [[0, 0], [0, 5], [5, 0], [3, 4], [0, 50], [50, 0]] as [number, number][]) {
    const A = CsrMatrix.fromCoo([], new Int32Array(0), [], [rows, cols]);
    assert.deepEqual(A.shape, [rows, cols]);
    assert.equal(A.nnz, 0);
    assert.deepEqual(Array.from(A.indptr), new Array(rows + 1).fill(0));
    assert.equal(A.values.size, 0);
  }
});

test('fromCoo: out-of-range and non-integer indices fail naming the first bad entry, its row before its column', () => {
  const op = 'CsrMatrix.fromCoo: ';
  const cases: [ArrayLike<number>, ArrayLike<number>, [number, number], string][] = [
    [[0, 1, 7, 2], [0, 0, 0, 0], [5, 3], 'row index 7 at entry 2 is out of range for 5 rows'],
    [[0, 1, 2], [0, 3, 0], [5, 3], 'column index 3 at entry 1 is out of range for 3 columns'],
    [[0, -1], [0, 0], [5, 3], 'row index -1 at entry 1 is out of range for 5 rows'],
    [[0, 1.5], [0, 0], [5, 3], 'row index 1.5 at entry 1 is out of range for 5 rows'],
    [[0, 1], [0, NaN], [5, 3], 'column index NaN at entry 1 is out of range for 3 columns'],
    [[0, 1], [0, 1e10], [5, 3], 'column index 10000000000 at entry 1 is out of range for 3 columns'],
    [[0, 1], [0, 2 ** 32], [5, 3], 'column index 4294967296 at entry 1 is out of range for 3 columns'],
    // The first bad entry wins over a bad row later; at one entry the row is named.
    [[0, 0, 9], [0, 5, 0], [5, 3], 'column index 5 at entry 1 is out of range for 3 columns'],
    [[0, 9, 0], [0, 5, 0], [5, 3], 'row index 9 at entry 1 is out of range for 5 rows'],
    [[0], [0], [0, 3], 'row index 0 at entry 0 is out of range for 0 rows'],
    [[0], [0], [2, 0], 'column index 0 at entry 0 is out of range for 0 columns'],
    // Typed arrays: the values as the caller's array holds them.
    [new Int32Array([1, -3]), new Int32Array([0, 0]), [5, 3], 'row index -3 at entry 1 is out of range for 5 rows'],
    [new Uint32Array([1, 2 ** 32 - 1]), new Uint32Array([0, 0]), [5, 3], 'row index 4294967295 at entry 1 is out of range for 5 rows'],
    [new Float32Array([1, 0]), new Float32Array([0.25, 0]), [5, 3], 'column index 0.25 at entry 0 is out of range for 3 columns'],
    [new Float64Array([1, Infinity]), new Float64Array([0, 0]), [5, 3], 'row index Infinity at entry 1 is out of range for 5 rows'],
    [new Uint8Array([1, 200]), new Int8Array([0, 0]), [5, 3], 'row index 200 at entry 1 is out of range for 5 rows'],
    [[1, , 2] as number[], [0, 0, 0], [5, 3], 'row index undefined at entry 1 is out of range for 5 rows'],
    // Not numbers at all: rejected, not coerced (null is not row 0, '1' not row 1).
    [[1, null, 2] as unknown as number[], [0, 0, 0], [5, 3], 'row index null at entry 1 is out of range for 5 rows'],
    [[1, 2], [0, '1'] as unknown as number[], [5, 3], 'column index 1 at entry 1 is out of range for 3 columns'],
    [[true, 0] as unknown as number[], [0, 0], [5, 3], 'row index true at entry 0 is out of range for 5 rows'],
  ];
  // Each case as it is (the JavaScript path) and with 40 valid entries appended (the native one).
  const pad = (a: ArrayLike<number>, fill: number): ArrayLike<number> => {
    if (Array.isArray(a)) return [...(a as number[]), ...new Array<number>(40).fill(fill)];
    const t = a as Int32Array;
    const out = new (t.constructor as Int32ArrayConstructor)(t.length + 40).fill(fill);
    out.set(t);
    return out;
  };
  for (const [r, c, shape, message] of cases) {
    assert.throws(() => CsrMatrix.fromCoo(r, c, new Float64Array(r.length), shape), { message: op + message }, message);
    const [pr, pc] = [pad(r, 1), pad(c, 0)];
    assert.throws(() => CsrMatrix.fromCoo(pr, pc, new Float64Array(pr.length), shape), { message: op + message }, `padded: ${message}`);
  }
  // Past the kernel's grain, with threads: the first bad entry of many.
  const threads = getThreads();
  try {
    setThreads(2);
    const n = 200_000;
    const r = new Int32Array(n);
    const c = new Int32Array(n);
    r[150_000] = 10;
    r[190_000] = -1;
    c[170_000] = 99;
    assert.throws(() => CsrMatrix.fromCoo(r, c, new Float64Array(n), [5, 3]), { message: op + 'row index 10 at entry 150000 is out of range for 5 rows' });
    c[100_001] = 3;
    assert.throws(() => CsrMatrix.fromCoo(Array.from(r), c, new Float64Array(n), [5, 3]), { message: op + 'column index 3 at entry 100001 is out of range for 3 columns' });
  } finally {
    setThreads(threads);
  }
  assert.throws(() => CsrMatrix.fromCoo([0, 1], [0], [1, 2], [2, 2]), { message: op + 'rows has 2 entries but cols has 1' });
  assert.throws(() => cooToCsrPattern(2, 2, [0, 5], [0, 0]), { message: 'cooToCsrPattern: row index 5 at entry 1 is out of range for 2 rows' });
});

test('fromCoo: the gradient of the values gathers the stored entries\' gradient (each duplicate gets its sum\'s)', () => {
  const r = [1, 0, 1, 1, 2, 0];
  const c = [2, 0, 2, 0, 1, 0];
  const v = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
  const A = CsrMatrix.fromCoo(r, c, v, [3, 3]);
  // Stored: (0,0) = 2 + 6, (1,0) = 4, (1,2) = 1 + 3, (2,1) = 5.
  assert.deepEqual(Array.from(A.values.toArray()), [8, 4, 4, 5]);
  A.values.mul(tensor([10, 20, 30, 40])).sum().backward();
  assert.deepEqual(Array.from(v.grad!.toArray()), [30, 10, 30, 20, 40, 10]);
  // The same in a 3 × 40 matrix, past COO_JS_MAX.
  const w = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
  const B = CsrMatrix.fromCoo(r, c, w, [3, 40]);
  assert.deepEqual(Array.from(B.values.toArray()), [8, 4, 4, 5]);
  B.values.mul(tensor([10, 20, 30, 40])).sum().backward();
  assert.deepEqual(Array.from(w.grad!.toArray()), [30, 10, 30, 20, 40, 10]);
  // Numerically, with and without duplicates.
  const gen = new Generator(9);
  for (const dup of [0.4, 0]) {
    const coo = randomCoo(gen, 40, 6, 7, dup);
    const ok = dup > 0 ? coo : (() => {
      const seen = new Set<number>();
      const keep = coo.r.map((i, k) => { const key = i * 7 + coo.c[k]!; const fresh = !seen.has(key); seen.add(key); return fresh; });
      return { r: coo.r.filter((_, k) => keep[k]), c: coo.c.filter((_, k) => keep[k]), v: coo.v.filter((_, k) => keep[k]) };
    })();
    const x = tensor(ok.v.map((y) => y / 1e5), { requiresGrad: true });
    const res = gradcheck((t) => CsrMatrix.fromCoo(ok.r, ok.c, t as Tensor, [6, 7]).values.mul(CsrMatrix.fromCoo(ok.r, ok.c, t as Tensor, [6, 7]).values), [x]);
    assert.ok(res.ok, `duplicates ${dup}: ${JSON.stringify(res)}`);
  }
});

/** The stored positions of a dense rows × cols array, row by row: D[p] !== 0 (or all). */
function denseRef(rows: number, cols: number, d: ArrayLike<number>, keepZeros: boolean): { indptr: number[]; indices: number[]; values: number[] } {
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = d[i * cols + j]!;
      if (keepZeros || x !== 0) {
        indices.push(j);
        values.push(x);
      }
    }
    indptr.push(indices.length);
  }
  return { indptr, indices, values };
}

test('fromDense: nonzeros row by row, NaN kept, -0 dropped, keepZeros keeps all; 1×n, n×1, empty, float32, past the grain with threads', () => {
  const gen = new Generator(21);
  const threads = getThreads();
  try {
    for (const t of [1, 2]) {
      setThreads(t);
      for (const [rows, cols] of [[1, 9], [9, 1], [4, 5], [0, 3], [3, 0], [0, 0], [1, 300], [300, 1], [20, 20], [300, 400], [70_000, 2]] as [number, number][]) {
        for (const dtype of ['float64', 'float32'] as DType[]) {
          const d = dtype === 'float64' ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
          for (let p = 0; p < d.length; p++) {
            const u = gen.uniform();
            d[p] = u < 0.1 ? NaN : u < 0.2 ? -0 : u < 0.5 ? gen.normal() : 0;
          }
          for (const keepZeros of [false, true]) {
            const A = CsrMatrix.fromDense(new Tensor(d, [rows, cols]), { keepZeros });
            const ref = denseRef(rows, cols, d, keepZeros);
            const msg = `${rows}x${cols} ${dtype} keepZeros=${keepZeros} threads=${t}`;
            assert.deepEqual(Array.from(A.indptr), ref.indptr, `${msg}: indptr`);
            assert.deepEqual(Array.from(A.indices), ref.indices, `${msg}: indices`);
            assert.deepEqual(bits(A.values.toArray()), bits(ref.values), `${msg}: values`);
          }
        }
      }
    }
  } finally {
    setThreads(threads);
  }
  // Hand-worked: NaN is stored, -0 is not; as 3 × 3 (JavaScript) and padded with zero columns to 3 × 300 (native).
  for (const cols of [3, 300]) {
    const pad = new Array<number>(cols - 3).fill(0);
    const A = CsrMatrix.fromDense([[0, NaN, -0, ...pad], [-0, 0, 0, ...pad], [2, 0, -3, ...pad]]);
    assert.deepEqual(Array.from(A.indptr), [0, 1, 1, 3]);
    assert.deepEqual(Array.from(A.indices), [1, 0, 2]);
    assert.deepEqual(bits(A.values.toArray()), ['NaN', '2', '-3']);
  }
});

test('fromDense: the gradient scatters the values\' gradient back to the stored positions', () => {
  for (const cols of [3, 300]) {
    const pad = new Array<number>(cols - 3).fill(0);
    const D = tensor([[1, 0, 2, ...pad], [0, 0, 3, ...pad], [4, 5, 0, ...pad]], { requiresGrad: true });
    const A = CsrMatrix.fromDense(D);
    A.values.mul(tensor([1, 2, 3, 4, 5])).sum().backward();
    assert.deepEqual(Array.from(D.grad!.toArray()), [[1, 0, 2, ...pad], [0, 0, 3, ...pad], [4, 5, 0, ...pad]].flat());
  }
  const x = tensor([[0.5, 0, -1], [2, 0, 0]], { requiresGrad: true });
  assert.ok(gradcheck((t) => CsrMatrix.fromDense(t as Tensor).values.mul(CsrMatrix.fromDense(t as Tensor).values).sum(), [x]).ok);
});
