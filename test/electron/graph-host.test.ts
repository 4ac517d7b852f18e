// The compute host's graph methods in plain Node (a real pool): the catalogue
// and templates pass through, validateGraph reports on the node it concerns,
// a bad graph is refused before it runs, a template runs with its views from
// the result and its probes saved (probes.json, getProbe), and the progress of
// a finished run ends at its last epoch.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { GraphValidation, JobInfo, LabEvent, NodeKindInfo, Probe, ProblemGraph, RunMeta, RunRecord, TemplateInfo } from '../../electron/common/lab-api.js';
import { ComputeHost } from '../../electron/services/compute-host.js';
import { nodeCatalogue, templates } from '../../experiments/graph/index.js';
import { jacobiPreset } from '../../experiments/spec/presets.js';

const workerFile = fileURLToPath(new URL('../../electron/services/worker.ts', import.meta.url));

describe('ComputeHost graph methods', () => {
  let dataDir: string;
  let host: ComputeHost;
  const events: LabEvent[] = [];
  const ended = (runId: string): Promise<RunMeta> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the run')), 120_000);
      const poll = setInterval(() => {
        const e = events.find((x): x is Extract<LabEvent, { type: 'run' }> => x.type === 'run' && x.run.id === runId && x.run.state !== 'running');
        if (e) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(e.run);
        }
      }, 20);
    });

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lab-graph-host-'));
    host = new ComputeHost({ dataDir, workerFile, threads: 1 }, (e) => events.push(e));
  });
  after(async () => {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes the catalogue and the templates through as experiments/graph gives them', async () => {
    const kinds = (await host.call('graphCatalogue', {})) as NodeKindInfo[];
    assert.deepEqual(kinds, JSON.parse(JSON.stringify(nodeCatalogue())));
    const list = (await host.call('templates', {})) as TemplateInfo[];
    assert.deepEqual(
      list.slice(0, 4).map((t) => t.name),
      ['jacobi', 'heavyball', 'pcg', 'gcn'],
    );
    assert.deepEqual(list, JSON.parse(JSON.stringify(templates())));
  });

  it('validates a graph: issues name the node, shapes are inferred; a v1 spec is converted first', async () => {
    const jacobi = templates().find((t) => t.name === 'jacobi')!.graph as unknown as ProblemGraph;
    const good = (await host.call('validateGraph', { graph: jacobi })) as GraphValidation;
    assert.equal(good.ok, true, JSON.stringify(!good.ok && good.issues));
    const A = jacobi.nodes.find((n) => n.kind === 'poisson1d')!;
    assert.deepEqual(good.ports[A.id]!.A!.shape, [A.fields.n ?? 16, A.fields.n ?? 16]);
    // A node of a kind nobody knows: reported on that node, nothing thrown.
    const bad = { ...jacobi, nodes: [...jacobi.nodes, { id: 'mystery', kind: 'no-such-kind', fields: {} }] };
    const v = (await host.call('validateGraph', { graph: bad })) as GraphValidation;
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.issues.some((i) => i.nodeId === 'mystery' && /no-such-kind/.test(i.message)), JSON.stringify(!v.ok && v.issues));
    await assert.rejects(host.call('runProblem', { spec: bad }), /the problem is not valid: node "mystery"/);
    // A v1 spec comes back as the graph it converts to (what the editor loads).
    const v1 = (await host.call('validateGraph', { graph: jacobiPreset })) as GraphValidation;
    assert.equal(v1.ok, true, JSON.stringify(!v1.ok && v1.issues));
    assert.ok(v1.ok && v1.graph.version === 2 && v1.graph.nodes.some((n) => n.kind === 'jacobi'));
    const v1bad = (await host.call('validateGraph', { graph: { ...jacobiPreset, epochs: -1 } })) as GraphValidation;
    assert.equal(v1bad.ok, false);
    assert.match(!v1bad.ok ? v1bad.issues.map((i) => i.message).join('\n') : '', /epochs/);
  });

  it('runs the Jacobi template: views from the result, probes saved and read per edge, progress ending at the last epoch', async () => {
    const jacobi = templates().find((t) => t.name === 'jacobi')!.graph as unknown as ProblemGraph;
    const graph = { ...jacobi, training: { ...jacobi.training, epochs: 30 } };
    const { runId, jobId } = (await host.call('runProblem', { spec: graph, name: 'short jacobi' })) as { runId: string; jobId: string };
    const run = await ended(runId);
    assert.equal(run.state, 'finished', run.error);
    assert.equal(run.epochs, 30);
    for (const f of ['result.json', 'views.json', 'probes.json']) assert.ok(existsSync(join(run.folder, f)), f);
    const rec = (await host.call('getRun', { runId })) as RunRecord;
    assert.ok(rec.views.length > 0, 'the template has figures');
    assert.equal(rec.spec.name, jacobi.name);
    // Every edge of the graph was probed; an edge leaving the learnable weights carries their gradient.
    assert.deepEqual([...rec.probeEdges].sort(), graph.edges.map((e) => e.id).sort());
    const param = graph.nodes.find((n) => n.kind === 'vector-parameter')!;
    const out = graph.edges.find((e) => e.from.node === param.id)!;
    const probe = (await host.call('getProbe', { runId, edgeId: out.id })) as Probe;
    assert.equal(probe.kind, 'dense');
    assert.ok(probe.grad, 'a parameter edge carries the gradient');
    assert.equal(await host.call('getProbe', { runId, edgeId: 'no-such-edge' }), null);
    // Item 8: the job's last word is the last epoch, and it went out before the run dropped its jobId.
    const jobEvents = events.filter((e): e is Extract<LabEvent, { type: 'job' }> => e.type === 'job' && e.job.id === jobId);
    const last: JobInfo = jobEvents[jobEvents.length - 1]!.job;
    assert.equal(last.state, 'finished');
    assert.equal(last.message, 'epoch 30 of 30');
    const finishedJob = events.findIndex((e) => e.type === 'job' && e.job.id === jobId && e.job.state === 'finished');
    const finishedRun = events.findIndex((e) => e.type === 'run' && e.run.id === runId && e.run.state === 'finished');
    assert.ok(finishedJob < finishedRun, 'the finished job is announced before the finished run');
  });
});
