// The four paper templates on the device ('cuda': the GPU when present, else the
// emulated device): each trains to the same numbers as on the CPU (dropout
// aside: the device draws its masks from its own counter-based stream), and a
// run's device memory is all freed when it ends, with none growing per epoch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runExperiment } from '../../experiments/runner/run.js';
import type { ExperimentResult } from '../../experiments/runner/types.js';
import { preset } from '../../experiments/spec/presets.js';
import type { MethodKind, ProblemSpec } from '../../experiments/spec/types.js';
import { toGraph, type Graph } from '../../experiments/graph/index.js';
import { deviceMemory } from '../../native/lib/index.js';
import { testDevice } from '../device-helpers.js';
import { assertClose, sharedData } from '../helpers.js';

testDevice('device-experiments.test.ts');

/** A paper template (the v1 preset converted) with changes, as a graph. */
function spec(kind: MethodKind, over: Partial<ProblemSpec>): Graph {
  return toGraph({ ...preset(kind), runs: 1, ...over });
}

const on = (g: Graph, device: 'cpu' | 'cuda'): Graph => ({ ...g, training: { ...g.training, device } });

async function both(s: Graph): Promise<{ cpu: ExperimentResult; cuda: ExperimentResult; liveByEpoch: number[] }> {
  const cpu = await runExperiment(on(s, 'cpu'), { dataDir: sharedData() });
  const liveByEpoch: number[] = [];
  const cuda = await runExperiment(on(s, 'cuda'), {
    dataDir: sharedData(),
    onEvent: (e) => {
      if (e.type === 'epoch') liveByEpoch.push(deviceMemory().liveBytes);
    },
  });
  // Everything the run allocated is freed with it, except what compiling the
  // plan moved to the device once (matrices), which the plan holds.
  assert.ok(deviceMemory().liveBytes < (liveByEpoch[0] ?? 0), `the run released its parameters and optimizer state: ${deviceMemory().liveBytes} bytes live after it, ${liveByEpoch[0]} during its first epoch`);
  return { cpu, cuda, liveByEpoch };
}

function flat(live: number[]): void {
  // The first epochs make the optimizer state and caches; after them nothing
  // grows (it may shrink when the garbage collector frees an earlier leftover).
  const after = live.slice(2);
  assert.ok(after.every((b) => b <= after[0]!), `device memory per epoch: ${live.join(', ')}`);
}

describe('the applications on the device', () => {
  it('Jacobi weights train to the CPU numbers', async () => {
    const { cpu, cuda, liveByEpoch } = await both(spec('jacobi', { epochs: 12, dtype: 'float64' }));
    assertClose(cuda.series.losses.train!, cpu.series.losses.train!, { rtol: 1e-9 });
    assertClose(cuda.summary.omega as number[], cpu.summary.omega as number[], { rtol: 1e-9 });
    assertClose((cuda.series.parameters.omega as number[][]).at(-1)!, (cpu.series.parameters.omega as number[][]).at(-1)!, { rtol: 1e-9 });
    flat(liveByEpoch);
  });

  it('heavyball parameters train to the CPU numbers', async () => {
    const { cpu, cuda, liveByEpoch } = await both(spec('heavyball', { epochs: 10, dtype: 'float64' }));
    const [c, d] = [cpu.series, cuda.series];
    assertClose(d.losses.train!, c.losses.train!, { rtol: 1e-9 });
    assertClose(d.losses.test!, c.losses.test!, { rtol: 1e-9 });
    assertClose(d.parameters.alpha as number[], c.parameters.alpha as number[], { rtol: 1e-9 });
    assertClose(d.parameters.beta as number[], c.parameters.beta as number[], { rtol: 1e-9 });
    flat(liveByEpoch);
  });

  it('the learned PCG preconditioner trains to the CPU numbers', async () => {
    const { cpu, cuda, liveByEpoch } = await both(spec('pcg', { epochs: 8, dtype: 'float64' }));
    assertClose(cuda.series.losses.train!, cpu.series.losses.train!, { rtol: 1e-8 });
    assertClose(cuda.series.metrics.relativeResidual!, cpu.series.metrics.relativeResidual!, { rtol: 1e-8 });
    assertClose([cuda.summary.finalLoss], [cpu.summary.finalLoss], { rtol: 1e-8 });
    // The residual histories after the last step (early stop at 1e-15 may cut them at different lengths).
    const n = Math.min(cpu.series.figures.pcgHistory!.length, cuda.series.figures.pcgHistory!.length, 8);
    assertClose(cuda.series.figures.pcgHistory!.slice(0, n), cpu.series.figures.pcgHistory!.slice(0, n), { rtol: 1e-8 });
    flat(liveByEpoch);
  });

  it('the GCN on CiteSeer without dropout trains to the CPU numbers', async () => {
    const g = preset('gcn');
    const s = spec('gcn', { epochs: 6, dtype: 'float64', method: { ...g.method, dropout: 0, inputDropout: 0 } as ProblemSpec['method'] });
    const { cpu, cuda, liveByEpoch } = await both(s);
    assertClose(cuda.series.losses.train!, cpu.series.losses.train!, { rtol: 1e-9 });
    assertClose(cuda.series.metrics.testAccuracy!, cpu.series.metrics.testAccuracy!, { rtol: 0, atol: 1e-12 });
    flat(liveByEpoch);
  });

  it('the GCN with dropout trains on the device as far as on the CPU (float32, its own dropout stream)', async () => {
    const s = spec('gcn', { epochs: 40, dtype: 'float32' });
    const cpu = await runExperiment(s, { dataDir: sharedData() });
    const cuda = await runExperiment(on(s, 'cuda'), { dataDir: sharedData() });
    const lossOf = (r: ExperimentResult): number[] => r.series.losses.train!;
    const accOf = (r: ExperimentResult): number => r.summary.testAccuracy as number;
    const [c, d] = [lossOf(cpu), lossOf(cuda)];
    assertClose([d[0]!], [c[0]!], { rtol: 0.05 }); // the first loss: only the dropout masks differ
    assert.ok(d.at(-1)! < d[0]! * 0.9, `device loss ${d[0]} -> ${d.at(-1)}`);
    assert.ok(Math.abs(d.at(-1)! - c.at(-1)!) < 0.1 * c.at(-1)!, `final loss: device ${d.at(-1)}, cpu ${c.at(-1)}`);
    assert.ok(Math.abs(accOf(cuda) - accOf(cpu)) < 0.05, `test accuracy: device ${accOf(cuda)}, cpu ${accOf(cpu)}`);
  });
});
