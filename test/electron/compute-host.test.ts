// The compute host's services in plain Node (in this process, with a real pool):
// matrices from files and generators, a bad file, runs streamed and saved to
// the data folder (listed again by a fresh host: a restart), cancel, schema
// rejection at the door.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JobInfo, LabEvent, MatrixSummary, RunMeta, SpyGrid } from '../../electron/common/lab-api.js';
import { ComputeHost } from '../../electron/services/compute-host.js';
import { validateReport } from '../../experiments/timing/index.js';
import { sharedData } from '../helpers.js';

const workerFile = fileURLToPath(new URL('../../electron/services/worker.ts', import.meta.url));

/** Resolves with the first event that `match` accepts. */
function waitFor<T extends LabEvent>(events: LabEvent[], listeners: Set<(e: LabEvent) => void>, match: (e: LabEvent) => e is T, ms = 60_000): Promise<T> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), ms);
    const l = (e: LabEvent): void => {
      if (match(e)) {
        clearTimeout(timer);
        listeners.delete(l);
        resolve(e);
      }
    };
    listeners.add(l);
  });
}

const matrixDone =
  (id: string) =>
  (e: LabEvent): e is { type: 'matrix'; matrix: MatrixSummary } =>
    e.type === 'matrix' && e.matrix.id === id && e.matrix.state !== 'loading';
const runEnded =
  (id: string) =>
  (e: LabEvent): e is { type: 'run'; run: RunMeta } =>
    e.type === 'run' && e.run.id === id && e.run.state !== 'running';

describe('ComputeHost', () => {
  let dataDir: string;
  let host: ComputeHost;
  const events: LabEvent[] = [];
  const listeners = new Set<(e: LabEvent) => void>();
  const emit = (e: LabEvent): void => {
    events.push(e);
    for (const l of [...listeners]) l(e);
  };

  before(() => {
    // 'cuda' runs go to the emulated device where there is no GPU (read by the workers' addon on first device use).
    process.env.SPARSE_AD_CUDA_EMULATION = '1';
    dataDir = mkdtempSync(join(tmpdir(), 'lab-host-'));
    host = new ComputeHost({ dataDir, workerFile, threads: 2, testHooks: true, graceMs: 500 }, emit);
  });
  after(async () => {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads a real MatrixMarket file: statistics and spy bins that count every entry', async () => {
    const path = sharedData('matrices', 'bcsstk01.mtx');
    const { matrixId, jobId } = (await host.call('openMatrix', { source: { kind: 'path', path } })) as { matrixId: string; jobId: string };
    const { matrix } = await waitFor(events, listeners, matrixDone(matrixId));
    assert.equal(matrix.state, 'ready', matrix.error);
    assert.equal(matrix.name, 'bcsstk01.mtx');
    assert.deepEqual([matrix.rows, matrix.cols, matrix.nnz], [48, 48, 400]); // index.json: nnz_expanded 400
    assert.equal(matrix.stats!.numericSymmetric, true);
    assert.equal(matrix.header!.symmetry, 'symmetric');
    const spy = (await host.call('spyPlot', { matrixId })) as SpyGrid;
    assert.deepEqual([spy.width, spy.height], [48, 48]);
    assert.equal(
      spy.counts.reduce((a, b) => a + b, 0),
      400,
    );
    const job = events.filter((e): e is { type: 'job'; job: JobInfo } => e.type === 'job' && e.job.id === jobId).at(-1)!.job;
    assert.equal(job.state, 'finished');
  });

  it('loads bytes sent by a browser (kept in the data folder so specs can name the file)', async () => {
    const data = new Uint8Array(readFileSync(sharedData('matrices', 'can_24.mtx')));
    const { matrixId } = (await host.call('openMatrix', { source: { kind: 'bytes', name: 'can_24.mtx', data } })) as { matrixId: string };
    const { matrix } = await waitFor(events, listeners, matrixDone(matrixId));
    assert.equal(matrix.state, 'ready', matrix.error);
    assert.equal(matrix.nnz, 160);
    assert.equal(matrix.origin.kind, 'file');
    assert.ok(matrix.origin.kind === 'file' && matrix.origin.path.startsWith(join(dataDir, 'uploads')) && existsSync(matrix.origin.path));
  });

  it('a malformed file fails with the reader’s message, and the host keeps working', async () => {
    const path = sharedData('matrices', 'malformed', 'index_out_of_range_row.mtx');
    const { matrixId, jobId } = (await host.call('openMatrix', { source: { kind: 'path', path } })) as { matrixId: string; jobId: string };
    const { matrix } = await waitFor(events, listeners, matrixDone(matrixId));
    assert.equal(matrix.state, 'failed');
    assert.match(matrix.error!, /^readMatrixMarket: index_out_of_range_row\.mtx:\d+: /);
    const job = (await host.call('listJobs', {})) as JobInfo[];
    assert.equal(job.find((j) => j.id === jobId)!.state, 'failed');
    await assert.rejects(host.call('spyPlot', { matrixId }), /has no spy plot \(readMatrixMarket: /);
    // Still working:
    const { matrixId: g } = (await host.call('generateMatrix', { params: { kind: 'poisson2d', nx: 4, ny: 3 } })) as { matrixId: string };
    const { matrix: p } = await waitFor(events, listeners, matrixDone(g));
    assert.equal(p.state, 'ready');
    assert.deepEqual([p.rows, p.nnz], [12, 12 + 2 * (3 * 3 + 4 * 2)]); // n + 2 × (grid edges)
    assert.equal(p.name, '2-D Poisson 4×3');
  });

  it('generates 1-D Poisson and random sparse matrices', async () => {
    const { matrixId: a } = (await host.call('generateMatrix', { params: { kind: 'poisson1d', n: 10 } })) as { matrixId: string };
    const { matrixId: b } = (await host.call('generateMatrix', { params: { kind: 'random', rows: 50, cols: 40, density: 0.1, seed: 3 } })) as { matrixId: string };
    const { matrix: ma } = await waitFor(events, listeners, matrixDone(a));
    const { matrix: mb } = await waitFor(events, listeners, matrixDone(b));
    assert.deepEqual([ma.rows, ma.nnz, ma.stats!.bandwidth.lower, ma.stats!.spd.likely], [10, 28, 1, true]);
    assert.deepEqual([mb.rows, mb.cols], [50, 40]);
    // 200 positions drawn; repeats are summed, so a few fewer entries.
    assert.ok(mb.nnz! <= 200 && mb.nnz! > 170, `nnz ${mb.nnz}`);
    assert.equal(((await host.call('removeMatrix', { matrixId: a })) as { removed: boolean }).removed, true);
    assert.ok(!((await host.call('listMatrices', {})) as MatrixSummary[]).some((m) => m.id === a));
  });

  it('refuses malformed calls before doing anything', async () => {
    await assert.rejects(host.call('openMatrix', { source: { kind: 'path' } }), /^SchemaError: openMatrix: params\.source\.path: expected a string/);
    await assert.rejects(host.call('nope', {}), /expected a LabApi method/);
    await assert.rejects(host.call('runProblem', { spec: { version: 1, method: { kind: 'jacobi' }, epochs: -1 } }), /the problem is not valid: .*epochs/);
    const v = (await host.call('validateSpec', { spec: { version: 1, method: { kind: 'jacobi' }, optimizer: { lr: -1 } } })) as { ok: boolean; errors: { path: string; message: string }[] };
    assert.equal(v.ok, false);
    assert.equal(v.errors[0]!.path, 'optimizer.lr');
  });

  it("runs a problem on device 'cuda' in the pool's workers, to the CPU run's numbers", async () => {
    const presets = (await host.call('presets', {})) as { name: string; spec: Record<string, unknown> }[];
    const spec = { ...presets.find((p) => p.name === 'pcg')!.spec, epochs: 6, dtype: 'float64' };
    const results: Record<string, { finalLoss: number; relativeResidual: number | number[] }> = {};
    for (const device of ['cpu', 'cuda']) {
      const { runId } = (await host.call('runProblem', { spec: { ...spec, device }, name: `pcg on ${device}` })) as { runId: string };
      const { run } = await waitFor(events, listeners, runEnded(runId));
      assert.equal(run.state, 'finished', run.error);
      results[device] = run.summary as { finalLoss: number; relativeResidual: number | number[] };
    }
    const [c, d] = [results.cpu!, results.cuda!];
    assert.ok(Math.abs(d.finalLoss - c.finalLoss) <= 1e-8 * Math.abs(c.finalLoss), `final loss ${d.finalLoss} vs ${c.finalLoss}`);
    // The learned preconditioner's relative residual (the graph runner's summary of the pcg template).
    const [rc, rd] = [[c.relativeResidual].flat(), [d.relativeResidual].flat()];
    assert.equal(rd.length, rc.length);
    rd.forEach((r, i) => assert.ok(Math.abs(r - rc[i]!) <= 1e-8 * Math.abs(rc[i]!), `residual ${i}`));
  });

  it('runs a problem: progress streams, the run is saved as it goes and listed again after a restart', async () => {
    const presets = (await host.call('presets', {})) as { name: string; spec: Record<string, unknown> }[];
    assert.deepEqual(
      presets.map((p) => p.name),
      ['jacobi', 'heavyball', 'pcg', 'gcn'],
    );
    const spec = { ...presets[0]!.spec, epochs: 40 };
    const { runId } = (await host.call('runProblem', { spec, name: 'short jacobi' })) as { runId: string };
    const { run } = await waitFor(events, listeners, runEnded(runId));
    assert.equal(run.state, 'finished', run.error);
    assert.equal(run.name, 'short jacobi');
    // The learned weights, under their parameter node's id.
    assert.ok(Array.isArray((run.summary as { omega: number[] }).omega));
    const streamed = events.filter((e): e is Extract<LabEvent, { type: 'run-progress' }> => e.type === 'run-progress' && e.runId === runId).flatMap((e) => e.points);
    assert.deepEqual(
      streamed.map((p) => p.epoch),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(streamed.every((p) => typeof p.values['loss.train'] === 'number'));
    for (const f of ['meta.json', 'spec.json', 'events.ndjson', 'result.json', 'views.json']) assert.ok(existsSync(join(run.folder, f)), f);

    // A fresh host on the same data folder (the app restarted) lists the run with everything.
    const again = new ComputeHost({ dataDir, workerFile, threads: 1 }, () => undefined);
    try {
      const listed = (await again.call('listRuns', {})) as RunMeta[];
      const meta = listed.find((r) => r.id === runId)!;
      assert.equal(meta.state, 'finished');
      const rec = (await again.call('getRun', { runId })) as { points: unknown[]; views: { title: string }[]; spec: { version: number; training: { epochs: number } } };
      assert.equal(rec.points.length, 40);
      // The v1 spec ran as the graph it converts to, and that graph is what was saved.
      assert.equal(rec.spec.version, 2);
      assert.equal(rec.spec.training.epochs, 40);
      assert.match(rec.views[0]!.title, /Jacobi weights/);
    } finally {
      await again.close();
    }
  });

  it('cancels a run between steps: state Cancelled, partial points kept', async () => {
    const presets = (await host.call('presets', {})) as { name: string; spec: Record<string, unknown> }[];
    const spec = { ...presets.find((p) => p.name === 'heavyball')!.spec, epochs: 100000 };
    const { runId, jobId } = (await host.call('runProblem', { spec })) as { runId: string; jobId: string };
    await waitFor(events, listeners, (e): e is LabEvent => e.type === 'run-progress' && e.runId === runId);
    assert.deepEqual(await host.call('cancel', { jobId }), { cancelled: true });
    const { run } = await waitFor(events, listeners, runEnded(runId));
    assert.equal(run.state, 'cancelled');
    const rec = (await host.call('getRun', { runId })) as { points: unknown[] };
    assert.ok(rec.points.length > 0 && rec.points.length < 100000);
    const job = ((await host.call('listJobs', {})) as JobInfo[]).find((j) => j.id === jobId)!;
    assert.equal(job.state, 'cancelled');
  });

  it('a run left running by a stopped app is listed as failed (interrupted)', async () => {
    const presets = (await host.call('presets', {})) as { name: string; spec: Record<string, unknown> }[];
    const meta = host.runs.create('orphan', presets[0]!.spec);
    const again = new ComputeHost({ dataDir, workerFile, threads: 1 }, () => undefined);
    try {
      const listed = (await again.call('listRuns', {})) as RunMeta[];
      const orphan = listed.find((r) => r.id === meta.id)!;
      assert.equal(orphan.state, 'failed');
      assert.match(orphan.error!, /interrupted/);
      assert.equal(((await again.call('deleteRun', { runId: meta.id })) as { removed: boolean }).removed, true);
      assert.ok(!existsSync(meta.folder));
    } finally {
      await again.close();
    }
  });

  it('times an op on a loaded matrix and exports the study’s report formats (JSON valid against its schema)', async () => {
    const { matrixId } = (await host.call('openMatrix', { source: { kind: 'path', path: sharedData('matrices', 'bcsstk01.mtx') } })) as { matrixId: string };
    await waitFor(events, listeners, matrixDone(matrixId));
    const { timingId } = (await host.call('runTiming', { request: { kind: 'matrix', matrixId, op: 'spmv' } })) as { timingId: string };
    const done = await waitFor(events, listeners, (e): e is Extract<LabEvent, { type: 'timing' }> => e.type === 'timing' && e.timing.id === timingId && e.timing.state !== 'running');
    assert.equal(done.timing.state, 'finished', done.timing.error);
    const rows = done.timing.rows;
    assert.deepEqual([...new Set(rows.map((r) => r.impl))].sort(), ['dense', 'sparse']);
    assert.ok(rows.every((r) => r.suite === 'matrix' && r.op === 'spmv' && r.n === 48));
    assert.ok(rows.every((r) => r.medianSeconds !== null && r.medianSeconds > 0));
    const json = (await host.call('exportReport', { timingId, format: 'json' })) as { text: string; savedPath: string; mimeType: string };
    assert.equal(json.mimeType, 'application/json');
    assert.deepEqual(validateReport(JSON.parse(json.text)), []);
    assert.ok(existsSync(json.savedPath));
    const csv = (await host.call('exportReport', { timingId, format: 'csv' })) as { text: string };
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, 1 + rows.length);
    const html = (await host.call('exportReport', { timingId, format: 'html' })) as { text: string };
    assert.match(html.text, /^<!doctype html>/i);
    assert.doesNotMatch(html.text, /(src|href)=["']https?:/i);
    // A study that did not finish has no report to export.
    await assert.rejects(host.call('exportReport', { timingId: 'timing-none', format: 'csv' }), /does not exist|has no report/);
  });

  it('a crashed pool thread fails only its job', async () => {
    const crash = host.runTestTask({ kind: 'test-crash' });
    const beside = host.runTestTask({ kind: 'test-steps', steps: 10, stepMs: 10 });
    await assert.rejects(crash.result, /stopped unexpectedly/);
    assert.equal(crash.job.info.state, 'failed');
    assert.match(crash.job.info.error!, /worker thread running this job stopped unexpectedly/);
    await beside.result;
    assert.equal(beside.job.info.state, 'finished');
  });
});
