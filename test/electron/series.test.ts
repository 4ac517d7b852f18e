// What the training charts draw: smoothing, mean ± 2σ bands across runs,
// log-scale clamping and downsampling to ≤ maxPoints (renderer/src/lib/series.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { band, chartData, downsampleIndices, forLog, smooth } from '../../renderer/src/lib/series.js';
import { assertClose } from '../helpers.js';

describe('chart series', () => {
  it('smooth: s = 0 is the identity; debiased EMA by hand otherwise; NaN passes through', () => {
    assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
    // acc: 0.5·1 = 0.5 (w 0.5) → 1; 0.25 + 0.5·3 = 1.75 (w 0.75) → 2.333…
    assertClose(smooth([1, 3, Number.NaN, 5], 0.5).filter(Number.isFinite), [1, 1.75 / 0.75, (1.75 * 0.5 + 2.5) / (0.75 * 0.5 + 0.5)]);
    assert.ok(Number.isNaN(smooth([1, Number.NaN], 0.5)[1]));
  });

  it('band: mean and mean ± 2 sample standard deviations per epoch, over the runs that reached it', () => {
    const b = band([
      [1, 2, 3],
      [3, 4],
    ]);
    assert.deepEqual(b.mean, [2, 3, 3]);
    assert.deepEqual(b.count, [2, 2, 1]);
    const sd = Math.SQRT2; // sample sd of {1, 3}
    assertClose(b.low, [2 - 2 * sd, 3 - 2 * sd, 3]);
    assertClose(b.high, [2 + 2 * sd, 3 + 2 * sd, 3]);
  });

  it('downsampleIndices keeps ≤ max points, the ends, and a spike', () => {
    const ys = Array.from({ length: 10_000 }, (_, i) => (i === 4321 ? 100 : Math.sin(i / 300)));
    const keep = downsampleIndices(ys, 2000);
    assert.equal(keep.length, 2000);
    assert.equal(keep[0], 0);
    assert.equal(keep.at(-1), 9999);
    assert.ok(keep.includes(4321), 'the spike survives');
    for (let i = 1; i < keep.length; i++) assert.ok(keep[i]! > keep[i - 1]!);
    assert.deepEqual(downsampleIndices([5, 6, 7], 2000), [0, 1, 2]);
  });

  it('chartData: one row per kept epoch, bands only with several runs, log axes get no values ≤ 0', () => {
    const single = chartData([{ key: 'loss', perRun: [[4, 2, 1, 0]] }], { smoothing: 0, logScale: true, maxPoints: 2000 });
    assert.deepEqual(single.banded, []);
    assert.deepEqual(
      single.rows.map((r) => r.loss),
      [4, 2, 1, null],
    );
    const runs = chartData([{ key: 'acc', perRun: [[0.5, 0.6], [0.7, 0.8]] }], { smoothing: 0, logScale: false, maxPoints: 2000 });
    assert.deepEqual(runs.banded, ['acc']);
    const [lo, hi] = runs.rows[0]!['acc:band'] as [number, number];
    assertClose([lo, hi], [0.6 - 2 * Math.sqrt(0.02), 0.6 + 2 * Math.sqrt(0.02)]);
    const long = chartData([{ key: 'loss', perRun: [Array.from({ length: 50_000 }, (_, i) => 1 / (i + 1)), Array.from({ length: 50_000 }, (_, i) => 2 / (i + 1))] }], {
      smoothing: 0.9,
      logScale: true,
      maxPoints: 2000,
    });
    assert.equal(long.rows.length, 2000);
    assert.equal(long.fullPoints, 50_000);
    assert.equal(forLog(-1), null);
    assert.equal(forLog(2), 2);
  });
});
