// The benchmark's device cases (what `npm run bench:ops` and the timing study
// time on a GPU): every op, forward and forward+backward, runs on the device
// with the CPU case's inputs (the op tests check the values), and repeated
// timed calls leave device memory flat (each call runs in a scope). The timing study never times the
// emulated device and says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeCase, OPS } from '../../experiments/bench/ops-suite.js';
import { makeCudaCase, oursCudaAbsence } from '../../experiments/timing/cases.js';
import { deviceMemory } from '../../native/lib/index.js';
import { testDevice } from '../device-helpers.js';

const mode = testDevice('device-bench.test.ts');

describe('benchmark cases on the device', () => {
  for (const op of OPS) {
    it(`${op}: forward and forward+backward run on the device with flat memory`, () => {
      const c = makeCase(op, 300, 'float64', 'cuda');
      const h = makeCase(op, 300, 'float64');
      assert.equal(c.nnz, h.nnz);
      for (const pass of ['forward', 'forward+backward'] as const) {
        const call = c.run(pass);
        call();
        const live = deviceMemory().liveBytes;
        for (let k = 0; k < 5; k++) call();
        assert.equal(deviceMemory().liveBytes, live, `${op} ${pass}: device memory per call`);
        h.run(pass)();
      }
    });
  }

  it('the timing study times a GPU only', () => {
    if (mode === 'cuda') {
      assert.equal(oursCudaAbsence(), null);
      const c = makeCudaCase('spmv', 'sparse', 1024, 'float64');
      c.run('forward')();
      return;
    }
    const why = 'no CUDA device: the emulated device (SPARSE_AD_CUDA_EMULATION=1) is not timed, its numbers would be CPU numbers';
    assert.equal(oursCudaAbsence(), why);
    assert.throws(() => makeCudaCase('spmv', 'sparse', 1024, 'float64'), { message: why });
  });
});
