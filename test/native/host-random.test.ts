// CPU dropout and rand() draw natively from the generator's own stream
// (native/core/host_random_cpu.cc): checked against the JavaScript generator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropout, Generator, rand, randn } from '../../native/lib/index.js';
import { UNIFORM_JS_MAX } from '../../native/lib/random.js';

test('CPU dropout: the native kernel draws the generator stream a JavaScript reference loop draws (masks, scaling, gradient, the state after)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const p of [0.3, 0.5, 1]) {
      const x = randn([1000], { dtype, seed: 4 }).requiresGrad_();
      const gen = new Generator(17);
      const ref = new Generator(17);
      const y = dropout(x, p, { generator: gen });
      const scale = p === 1 ? 0 : 1 / (1 - p);
      const want = dtype === 'float64' ? new Float64Array(1000) : new Float32Array(1000);
      const keep: boolean[] = [];
      for (let i = 0; i < 1000; i++) {
        keep[i] = ref.nextUint32() >= p * 4294967296;
        if (keep[i]) want[i] = x.data[i]! * scale;
      }
      assert.deepEqual([...y.data], [...want], `${dtype} p=${p}`);
      assert.equal(gen.nextUint32(), ref.nextUint32(), 'the stream goes on where the reference is');
      y.sum().backward();
      const dx = want.map((_, i) => (keep[i] ? scale : 0));
      assert.deepEqual([...x.grad!.data], [...dx]);
    }
  }
});

test('rand: the native fill (above UNIFORM_JS_MAX entries) gives the numbers of Generator.uniform() in a JavaScript loop, bit for bit, and leaves the stream where that loop does', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const n of [1, UNIFORM_JS_MAX, UNIFORM_JS_MAX + 1, 1000, 4097]) {
      for (const [low, high] of [[0, 1], [-3, 0.5], [1e-3, 1e-3 + 1e-9]] as const) {
        const gen = new Generator(23);
        const ref = new Generator(23);
        gen.normal(); // a spare normal pending: rand draws uniforms only and leaves it
        ref.normal();
        const x = rand([n], { dtype, generator: gen, low, high });
        const want = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
        for (let i = 0; i < n; i++) want[i] = low + (high - low) * ref.uniform();
        const at = `${dtype} n=${n} [${low}, ${high})`;
        assert.deepEqual(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength), Buffer.from(want.buffer), at);
        assert.equal(gen.normal(), ref.normal(), `${at}: the spare normal`);
        assert.equal(gen.nextUint32(), ref.nextUint32(), `${at}: the stream goes on where the reference is`);
        // In [low, high) before the rounding to the dtype, which is monotonic.
        const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
        for (const v of x.data) assert.ok(v >= round(low) && v <= round(high), `${at}: ${v} out of range`);
      }
    }
  }
  // The default generator and a seed draw as before (the same numbers on every platform).
  assert.deepEqual([...rand([3], { seed: 5 }).data], [...rand([3], { seed: 5 }).data]);
});
