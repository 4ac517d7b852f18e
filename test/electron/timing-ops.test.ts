// The app offers every row of the timing study: the op list the renderer and the
// lab schema use (electron/common/timing-ops.ts, free of zod for the preload) is
// the study's own (experiments/timing), so the two cannot drift apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TIMING_OPS } from '../../electron/common/timing-ops.js';
import { OPS } from '../../experiments/timing/cases.js';
import { OpSchema } from '../../experiments/timing/report/schema.js';

test('TIMING_OPS is the timing study’s ops, in its order, and the report schema’s op enum', () => {
  assert.deepEqual([...TIMING_OPS], [...OPS]);
  assert.deepEqual([...TIMING_OPS], OpSchema.options);
});
