// The output-buffer pool (native/lib/pool.ts): a CPU tensor's memory is reused
// only once every tensor over it was disposed, whatever still points at it is
// detached rather than shared, and nothing that leaves a scope (a result, a
// view of one, a raw array, a leaf's .grad) is ever handed out again.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { add, clearPool, mul, poolStats, scope, sum, tanh, tensor, type Tensor } from '../../native/lib/index.js';
import { hostData } from '../../native/lib/tensor.js';

const N = 1 << 16; // 256 KiB of float32: above the pool's 64 KiB floor

function seeded(seed: number): Tensor {
  const a = new Float32Array(N);
  let s = seed >>> 0;
  for (let i = 0; i < N; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = 2 * (s / 2 ** 32) - 1;
  }
  return tensor(a, { dtype: 'float32' });
}

/** a + b in float64, rounded to float32 (the reference). */
function addRef(a: Tensor, b: Tensor): Float32Array {
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) out[i] = a.data[i]! + b.data[i]!;
  return out;
}

describe('output-buffer pool', () => {
  beforeEach(() => clearPool());

  test('a disposed output goes back to the pool and the next output of that size reuses it', () => {
    const a = seeded(1), b = seeded(2);
    scope(() => void add(a, b));
    assert.equal(poolStats().pooledBytes, N * 4);
    const y = scope(() => mul(a, b));
    assert.equal(poolStats().pooledBytes, 0, 'mul took the buffer add gave back');
    for (let i = 0; i < N; i++) assert.equal(y.data[i], Math.fround(a.data[i]! * b.data[i]!));
  });

  test('results are bitwise the same from pooled and fresh memory', () => {
    const a = seeded(3), b = seeded(4);
    const fresh = add(a, b);
    scope(() => void tanh(a)); // leaves a buffer of the same size in the pool
    const pooled = scope(() => add(a, b));
    assert.deepEqual(pooled.data, fresh.data);
    assert.deepEqual(pooled.data, addRef(a, b));
  });

  test('an array read inside the scope is detached, not shared with the next output', () => {
    const a = seeded(5), b = seeded(6);
    let stale: Float32Array | Float64Array = new Float32Array(0);
    scope(() => {
      stale = add(a, b).data;
    });
    assert.equal(stale.length, 0, 'the disposed output\'s array is detached');
    const next = scope(() => add(a, b)); // took that memory
    assert.equal(next.data.length, N);
  });

  test('a buffer nobody read through .data goes back whole: the next output gets the very same memory', () => {
    const a = seeded(7), b = seeded(8);
    let internal: Float32Array | Float64Array = new Float32Array(0);
    scope(() => {
      internal = hostData(add(a, b)); // as an op reads it for a kernel call; never through .data
    });
    assert.equal(internal.length, N, 'not detached');
    assert.equal(poolStats().pooledBytes, N * 4);
    const next = scope(() => mul(a, b));
    assert.equal(poolStats().pooledBytes, 0, 'mul took the buffer add gave back');
    assert.equal(internal.buffer, next.data.buffer, 'the same memory, not a detached copy');
    for (let i = 0; i < N; i++) assert.equal(next.data[i], Math.fround(a.data[i]! * b.data[i]!));
  });

  test('reading .data of a view marks the shared buffer: it is detached when the last tensor over it goes', () => {
    const a = seeded(9), b = seeded(10);
    let stale: Float32Array | Float64Array = new Float32Array(0);
    scope(() => {
      const y = add(a, b);
      stale = y.detach().data; // a view, read; y itself never
    });
    assert.equal(stale.length, 0, 'the view\'s array is detached with the buffer');
    assert.equal(poolStats().pooledBytes, N * 4, 'the memory itself went to the pool');
  });

  test('a returned view and a returned raw array keep their memory', () => {
    const a = seeded(7), b = seeded(8);
    const want = addRef(a, b);
    const view = scope(() => add(a, b).reshape([N / 32, 32]));
    const raw = scope(() => add(a, b).data);
    let escaped: Tensor | null = null;
    scope(() => {
      escaped = add(a, b); // leaves through a variable: disposed all the same (as before the pool)
    });
    for (let k = 0; k < 4; k++) scope(() => void mul(a, b)); // would overwrite any of them if they had been pooled
    assert.deepEqual(view.data, want);
    assert.deepEqual(raw, want);
    assert.throws(() => escaped!.data, /disposed/);
  });

  test('disposing a tensor whose memory was transferred away (to a worker, say) is harmless', () => {
    const a = seeded(11), b = seeded(12);
    const y = add(a, b);
    structuredClone(y.data.buffer, { transfer: [y.data.buffer as ArrayBuffer] });
    y.dispose();
    assert.equal(poolStats().pooledBytes, 0);
  });

  test('a leaf gradient made inside a scope outlives it', () => {
    const p = seeded(9).requiresGrad_();
    const b = seeded(10);
    scope(() => sum(mul(p, b)).backward());
    for (let k = 0; k < 4; k++) scope(() => void add(b, b));
    assert.deepEqual(p.grad!.data, b.data); // d/dp Σ p ⊙ b = b
  });
});
