// The compute host as a separate process (as in browser mode; the app uses an
// Electron utilityProcess with the same protocol): calls and events cross the
// process boundary; when the process dies (a native crash), the jobs running
// in it fail with a message, a fresh host starts, and saved runs are still there.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JobInfo, LabEvent, RunMeta } from '../../electron/common/lab-api.js';
import { ComputeHostClient, forkHost } from '../../electron/services/host-client.js';
import { HOST_ENV } from '../../electron/services/host-protocol.js';

const entry = fileURLToPath(new URL('../../electron/services/host-process.ts', import.meta.url));

describe('compute host process', () => {
  let dataDir: string;
  let client: ComputeHostClient;
  const events: LabEvent[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lab-proc-'));
    const env = { ...process.env, [HOST_ENV.dataDir]: dataDir, [HOST_ENV.threads]: '2', [HOST_ENV.testHooks]: '1' };
    client = new ComputeHostClient(forkHost({ entry, env, execArgv: ['--import', 'tsx'] }));
    client.onEvent((e) => events.push(e));
    await client.start();
  });
  after(async () => {
    await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers calls and streams events across the process boundary', async () => {
    const info = (await client.call('info', {})) as { poolThreads: number; dataDir: string };
    assert.equal(info.poolThreads, 2);
    assert.equal(info.dataDir, dataDir);
    const { matrixId } = (await client.call('generateMatrix', { params: { kind: 'poisson1d', n: 5 } })) as { matrixId: string };
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'matrix' && e.matrix.id === matrixId && e.matrix.state === 'ready'); i++) await new Promise((r) => setTimeout(r, 25));
    const spy = (await client.call('spyPlot', { matrixId })) as { counts: Uint32Array };
    assert.ok(spy.counts instanceof Uint32Array, 'typed arrays survive structured clone');
    await assert.rejects(client.call('cancel', { jobId: '' }), /cancel: params\.jobId: expected a string of 1\.\.64 characters/);
  });

  it('when the host process dies, its jobs fail with a message, a new host starts, saved runs remain', async () => {
    const presets = (await client.call('presets', {})) as { spec: Record<string, unknown> }[];
    const { runId } = (await client.call('runProblem', { spec: { ...presets[0]!.spec, epochs: 10 } })) as { runId: string };
    for (let i = 0; i < 400 && !events.some((e) => e.type === 'run' && e.run.id === runId && e.run.state !== 'running'); i++) await new Promise((r) => setTimeout(r, 25));

    // A long job, then a native-style crash of the whole process.
    const presetsGcn = presets[1]!.spec;
    const { jobId } = (await client.call('runProblem', { spec: { ...presetsGcn, epochs: 1_000_000 } })) as { jobId: string };
    for (let i = 0; i < 400 && !events.some((e) => e.type === 'job' && e.job.id === jobId && e.job.state === 'running'); i++) await new Promise((r) => setTimeout(r, 25));
    await assert.rejects(client.test({ kind: 'test-abort-host' }), /the compute host stopped unexpectedly \(signal SIGKILL\); a fresh one was started/);
    const failed = events.filter((e): e is { type: 'job'; job: JobInfo } => e.type === 'job' && e.job.id === jobId).at(-1)!.job;
    assert.equal(failed.state, 'failed');
    assert.match(failed.error!, /compute host stopped unexpectedly/);

    // The fresh host answers, lists the finished run, and marks the interrupted one failed.
    const runs = (await client.call('listRuns', {})) as RunMeta[];
    assert.equal(runs.find((r) => r.id === runId)?.state, 'finished');
    const interrupted = runs.filter((r) => r.id !== runId);
    assert.equal(interrupted.length, 1);
    assert.equal(interrupted[0]!.state, 'failed');
    assert.match(interrupted[0]!.error!, /interrupted/);
    assert.equal(client.restartCount, 1);
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'host'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(events.some((e) => e.type === 'host' && e.state === 'restarted'));
  });
});
