// CPU dropout draws its mask natively from the generator's own stream
// (native/core/host_random_cpu.cc): checked against the JavaScript generator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropout, Generator, randn } from '../../native/lib/index.js';

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
