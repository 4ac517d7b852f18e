// The native index maps (native/lib/index_maps.ts, native/core/index_maps_cpu.cc)
// against references written here: where's picks over broadcast shapes, kron's
// entry pairs, selection structures, arange on both sides of its JavaScript
// threshold, and toList.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arange, CsrMatrix, tensor, where } from '../../native/lib/index.js';
import { ARANGE_JS_MAX, kronMaps, selectionStructure, whereMaps } from '../../native/lib/index_maps.js';
import { randomCsr } from '../helpers.js';

/** The entry of an input of shape `inShape` read at flat position i of a broadcast output of shape `out`. */
function readAt(inShape: readonly number[], out: readonly number[], i: number): number {
  const idx: number[] = [];
  for (let d = out.length - 1; d >= 0; d--) {
    idx[d] = i % out[d]!;
    i = Math.floor(i / out[d]!);
  }
  let e = 0;
  const off = out.length - inShape.length;
  for (let k = 0; k < inShape.length; k++) e = e * inShape[k]! + (inShape[k] === 1 ? 0 : idx[k + off]!);
  return e;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

test('whereMaps: picks match a reference over broadcast shapes (0-D, size-1 axes, empty)', () => {
  const cases: [number[], number[], number[], number[]][] = [
    [[], [], [], []],
    [[5], [5], [5], [5]],
    [[3, 4], [4], [], [3, 4]],
    [[3, 1], [1, 4], [3, 4], [3, 4]],
    [[2, 1, 4], [3, 1], [4], [2, 3, 4]],
    [[1], [2, 3], [1, 3], [2, 3]],
    [[0, 3], [3], [1], [0, 3]],
    [[64, 33], [33], [64, 1], [64, 33]],
  ];
  for (const [cs, as, bs, shape] of cases) {
    const n = size(shape);
    for (const kind of ['u8', 'f32', 'f64'] as const) {
      const nc = size(cs);
      const vals = Array.from({ length: nc }, (_, i) => ((i * 37) % 5 < 2 ? 0 : (i % 3) - 1.5));
      const c = kind === 'u8' ? Uint8Array.from(vals, (v) => (v !== 0 ? 1 : 0)) : kind === 'f32' ? Float32Array.from(vals) : Float64Array.from(vals);
      const { pickA, pickB } = whereMaps(c, cs, as, bs, shape);
      assert.equal(pickA.length, n);
      for (let i = 0; i < n; i++) {
        const t = vals[readAt(cs, shape, i)] !== 0;
        assert.equal(pickA[i], t ? readAt(as, shape, i) : -1, `pickA[${i}] for ${JSON.stringify([cs, as, bs, shape])} (${kind})`);
        assert.equal(pickB[i], t ? -1 : readAt(bs, shape, i), `pickB[${i}] for ${JSON.stringify([cs, as, bs, shape])} (${kind})`);
      }
    }
  }
});

test('whereMaps: a shape that does not broadcast is refused by the binding', () => {
  assert.throws(() => whereMaps(new Uint8Array(3), [3], [2], [], [3]), /where: a's shape does not broadcast/);
});

test('where: the native maps pick as a float64 reference loop, with broadcasting and NaN in the branch not taken', () => {
  const cond = tensor([[1, 0, 1], [0, 0, 1]]);
  const a = tensor([10, NaN, 30]);
  const b = tensor([[-1], [-2]]);
  assert.deepEqual(where(cond, a, b).toList(), [[10, -1, 30], [-2, -2, 30]]);
  assert.deepEqual(where([true, false, true], a, 0).toList(), [10, 0, 30]);
});

test('kronMaps: entry pairs in block-row order, as a reference loop', () => {
  for (const [A, B] of [[randomCsr(4, 3, { density: 0.5, seed: 1 }), randomCsr(3, 5, { density: 0.4, seed: 2 })], [randomCsr(1, 1, { density: 1, seed: 3 }), randomCsr(6, 2, { density: 0.6, seed: 4 })], [randomCsr(3, 3, { density: 0, seed: 5 }), randomCsr(2, 2, { density: 1, seed: 6 })]] as [CsrMatrix, CsrMatrix][]) {
    const a = A.pattern.raw;
    const b = B.pattern.raw;
    const pa: number[] = [];
    const pb: number[] = [];
    for (let ia = 0; ia < A.rows; ia++)
      for (let ib = 0; ib < B.rows; ib++)
        for (let p = a.indptr[ia]!; p < a.indptr[ia + 1]!; p++)
          for (let q = b.indptr[ib]!; q < b.indptr[ib + 1]!; q++) {
            pa.push(p);
            pb.push(q);
          }
    const m = kronMaps(A.rows, a.indptr, B.rows, b.indptr);
    assert.deepEqual([...m.pa], pa);
    assert.deepEqual([...m.pb], pb);
  }
});

test('selectionStructure: one column per row where idx ≥ 0, empty rows at −1', () => {
  const idx = Int32Array.from([3, -1, 0, -1, -1, 7, 2]);
  const { indptr, indices } = selectionStructure(idx);
  assert.deepEqual([...indptr], [0, 1, 1, 2, 2, 2, 3, 4]);
  assert.deepEqual([...indices], [3, 0, 7, 2]);
  const empty = selectionStructure(new Int32Array(0));
  assert.deepEqual([...empty.indptr], [0]);
  assert.equal(empty.indices.length, 0);
});

test('arange: 0, 1, … n−1 below, at and above the JavaScript threshold, in both dtypes', () => {
  for (const n of [0, 1, ARANGE_JS_MAX, ARANGE_JS_MAX + 1, 5000]) {
    for (const dtype of ['float64', 'float32'] as const) {
      const t = arange(n, { dtype });
      assert.equal(t.size, n);
      for (let i = 0; i < n; i++) assert.equal(t.data[i], i);
    }
  }
});

test('toList: nested arrays for 0-D, 1-D, 3-D and empty shapes', () => {
  assert.equal(tensor(4.5).toList(), 4.5);
  assert.deepEqual(tensor([1, 2]).toList(), [1, 2]);
  assert.deepEqual(tensor(new Float64Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), { shape: [2, 3, 2] }).toList(), [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  assert.deepEqual(tensor(new Float64Array(0), { shape: [2, 0] }).toList(), [[], []]);
  assert.deepEqual(tensor(new Float64Array(0), { shape: [0, 3] }).toList(), []);
});
