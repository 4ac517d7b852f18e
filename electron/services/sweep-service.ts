// The compute host's sweeps: start one from the Sweeps view (the problem's graph
// + axes × seeds), run it on the local pool or on a BullMQ queue, record each
// run's row once (keyed by run index) in <dir>/<sweepId>/runs.jsonl as it
// arrives, and stream the sweep's state to the lab. A sweep still running when
// the host stopped is picked up again when it starts: on a queue its jobs are
// still there (adding them again adds nothing) and finished ones are collected;
// on the local pool the runs not yet recorded run again.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { nodeCatalogue, toGraph, type Graph } from '../../experiments/graph/index.js';
import { createExecutor, type RunExecutor } from '../../experiments/sweep/executor.js';
import { expandSweep, runCount, parseSweep, validateSweepRuns, type ExpandedSweep } from '../../experiments/sweep/expand.js';
import { bestGroup, groupRows, rowsToCsv } from '../../experiments/sweep/groups.js';
import type { RunRow } from '../../experiments/sweep/job.js';
import { checkQueueUrl, redactUrl } from '../../experiments/sweep/queue.js';
import type { SweepDetail, SweepField, SweepMeta, SweepPreview, SweepStatus } from '../common/sweep-api.js';

export type SweepEvent = { type: 'sweep'; sweep: SweepMeta };

interface Manifest {
  sweepId: string;
  name: string;
  createdAt: string;
  /** The sweep as given, with its base resolved to a graph (so a restart needs nothing else). */
  sweep: unknown;
  /** The Redis URL (with its password: it stays in the user's data folder), or null for the local pool. */
  queue: string | null;
  status: SweepStatus;
  total: number;
  message?: string;
}

interface Live {
  manifest: Manifest;
  expanded: ExpandedSweep;
  rows: Map<number, RunRow>;
  active: Map<number, { index: number; step: number; totalSteps: number; worker: string }>;
  controller: AbortController | null;
  detach: AbortController | null;
  executor: string;
  lastEmit: number;
}

export interface SweepServiceOptions {
  /** Where relative data paths resolve. */
  dataDir?: string;
  /** The queue when a sweep names none (default $SPARSE_AD_QUEUE; none: the local pool). */
  defaultQueue?: string;
  /** Local pool: runs at once (default: the machine's cores). */
  concurrency?: number;
}

const EMIT_MS = 200;

export class SweepService {
  private readonly sweeps = new Map<string, Live>();
  private local: RunExecutor | undefined;
  private readonly queues = new Map<string, RunExecutor>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly emit: (e: SweepEvent) => void,
    private readonly opts: SweepServiceOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    for (const id of readdirSync(dir)) {
      const m = this.readManifest(id);
      if (!m) continue;
      let expanded: ExpandedSweep;
      try {
        expanded = expandSweep(m.sweep);
      } catch {
        continue;
      }
      const live = this.liveOf(m, expanded);
      this.sweeps.set(id, live);
      if (m.status === 'running') this.launch(live);
    }
  }

  private readManifest(id: string): Manifest | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, id, 'sweep.json'), 'utf8')) as Manifest;
    } catch {
      return null;
    }
  }

  private liveOf(m: Manifest, expanded: ExpandedSweep): Live {
    const rows = new Map<number, RunRow>();
    const log = join(this.dir, m.sweepId, 'runs.jsonl');
    if (existsSync(log)) {
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as RunRow;
          if (!rows.has(r.index)) rows.set(r.index, r);
        } catch {
          // a line cut short by a crash: that run is run again
        }
      }
    }
    const executor = m.queue ? redactUrl(m.queue) : `local pool (${this.opts.concurrency ?? availableParallelism()} at once)`;
    return { manifest: m, expanded, rows, active: new Map(), controller: null, detach: null, executor, lastEmit: 0 };
  }

  private save(live: Live): void {
    writeFileSync(join(this.dir, live.manifest.sweepId, 'sweep.json'), `${JSON.stringify(live.manifest, null, 1)}\n`);
  }

  private meta(live: Live): SweepMeta {
    const m = live.manifest;
    const rows = [...live.rows.values()];
    return {
      sweepId: m.sweepId,
      name: m.name,
      createdAt: m.createdAt,
      status: m.status,
      executor: live.executor,
      axes: live.expanded.axes,
      seeds: live.expanded.sweep.seeds,
      total: m.total,
      recorded: rows.length,
      failed: rows.filter((r) => r.error).length,
      ...(m.message ? { message: m.message } : {}),
      active: [...live.active.values()],
    };
  }

  private changed(live: Live, force = true): void {
    const now = performance.now();
    if (!force && now - live.lastEmit < EMIT_MS) return;
    live.lastEmit = now;
    this.emit({ type: 'sweep', sweep: this.meta(live) });
  }

  private executorFor(queue: string | null): RunExecutor {
    if (!queue) return (this.local ??= createExecutor({ ...(this.opts.concurrency ? { concurrency: this.opts.concurrency } : {}) }));
    let q = this.queues.get(queue);
    if (!q) this.queues.set(queue, (q = createExecutor({ queue })));
    return q;
  }

  private launch(live: Live): void {
    const m = live.manifest;
    const controller = new AbortController();
    const detach = new AbortController();
    live.controller = controller;
    live.detach = detach;
    const log = join(this.dir, m.sweepId, 'runs.jsonl');
    const task = (async () => {
      try {
        const out = await this.executorFor(m.queue).runSweep(m.sweepId, live.expanded, {
          done: new Set(live.rows.keys()),
          ...(this.opts.dataDir ? { dataDir: this.opts.dataDir } : {}),
          signal: controller.signal,
          detach: detach.signal,
          onProgress: (p) => {
            live.active.set(p.index, p);
            this.changed(live, false);
          },
          onRow: (row) => {
            if (live.rows.has(row.index)) return;
            live.rows.set(row.index, row);
            live.active.delete(row.index);
            appendFileSync(log, `${JSON.stringify(row)}\n`);
            if (m.message?.startsWith('waiting')) delete m.message;
            this.changed(live, live.rows.size === m.total);
          },
          onStatus: (text) => {
            m.message = text;
            this.changed(live);
          },
        });
        // Detached (the host closing): left 'running' on disk for the next host to pick up.
        if (out.detached) return;
        m.status = out.cancelled ? 'cancelled' : 'done';
        if (!out.cancelled) delete m.message;
      } catch (e) {
        m.status = 'failed';
        m.message = (e as Error)?.message ?? String(e);
      }
      live.controller = null;
      live.detach = null;
      live.active.clear();
      this.save(live);
      this.changed(live);
    })();
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  /** The fields of a graph a sweep can vary, named as the inspector names them. */
  fields(graphInput: unknown): SweepField[] {
    const graph = toGraph(graphInput);
    const kinds = new Map(nodeCatalogue().map((k) => [k.kind, k]));
    const out: SweepField[] = [];
    const t = graph.training;
    out.push(
      { path: 'training.optimizer.lr', group: 'training', kind: 'number', value: t.optimizer.lr, minimum: 0, description: 'learning rate' },
      { path: 'training.optimizer.kind', group: 'training', kind: 'enum', value: t.optimizer.kind, options: ['adam', 'adamw', 'sgd'] },
      { path: 'training.optimizer.momentum', group: 'training', kind: 'number', value: t.optimizer.momentum, minimum: 0 },
      { path: 'training.epochs', group: 'training', kind: 'integer', value: t.epochs, minimum: 1 },
      { path: 'training.dtype', group: 'training', kind: 'enum', value: t.dtype, options: ['float64', 'float32'] },
    );
    if (typeof t.optimizer.weightDecay === 'number') out.push({ path: 'training.optimizer.weightDecay', group: 'training', kind: 'number', value: t.optimizer.weightDecay, minimum: 0 });
    for (const n of graph.nodes) {
      const props = ((kinds.get(n.kind)?.fields as { properties?: Record<string, Record<string, unknown>> } | undefined)?.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, p] of Object.entries(props)) {
        const kind: SweepField['kind'] | null = Array.isArray(p.enum)
          ? 'enum'
          : p.type === 'integer'
            ? 'integer'
            : p.type === 'number'
              ? 'number'
              : p.type === 'boolean'
                ? 'boolean'
                : p.type === 'string'
                  ? 'string'
                  : null;
        if (!kind) continue;
        out.push({
          path: `${n.id}.${name}`,
          group: n.label ? `${n.id} (${n.label})` : `${n.id} (${n.kind})`,
          kind,
          value: n.fields[name] ?? p.default,
          ...(Array.isArray(p.enum) ? { options: (p.enum as unknown[]).map(String) } : {}),
          ...(typeof p.minimum === 'number' ? { minimum: p.minimum } : {}),
          ...(typeof p.maximum === 'number' ? { maximum: p.maximum } : {}),
          ...(typeof p.description === 'string' ? { description: p.description } : {}),
        });
      }
    }
    return out;
  }

  /** The run count (and whether the sweep is valid) before starting. */
  preview(sweep: unknown): SweepPreview {
    try {
      const s = parseSweep(sweep);
      const runs = runCount(s);
      const e = expandSweep(sweep);
      return { ok: true, runs, configs: e.configs, axes: e.axes };
    } catch (err) {
      let runs = 0;
      try {
        runs = runCount(parseSweep(sweep));
      } catch {
        // not even a sweep
      }
      return { ok: false, runs, configs: 0, axes: [], error: (err as Error).message };
    }
  }

  async start(sweepInput: unknown, queue?: string, name?: string): Promise<SweepMeta> {
    const q = queue || this.opts.defaultQueue || process.env.SPARSE_AD_QUEUE || null;
    if (q) checkQueueUrl(q);
    const expanded = expandSweep(sweepInput);
    await validateSweepRuns(expanded, this.opts.dataDir);
    // Stored with the base as a graph, so that a restart (or another template version) runs the same thing.
    const sweep = { ...(sweepInput as Record<string, unknown>), base: expanded.base as Graph };
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const sweepId = `${(name ?? expanded.name).replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40)}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
    const manifest: Manifest = { sweepId, name: name ?? expanded.name, createdAt: new Date().toISOString(), sweep, queue: q, status: 'running', total: expanded.runs.length };
    mkdirSync(join(this.dir, sweepId), { recursive: true });
    const live = this.liveOf(manifest, expandSweep(sweep));
    this.save(live);
    this.sweeps.set(sweepId, live);
    this.launch(live);
    this.changed(live);
    return this.meta(live);
  }

  list(): SweepMeta[] {
    return [...this.sweeps.values()].map((l) => this.meta(l)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private live(sweepId: string): Live {
    const l = this.sweeps.get(sweepId);
    if (!l) throw new Error(`no sweep ${JSON.stringify(sweepId)}`);
    return l;
  }

  get(sweepId: string): SweepDetail {
    const live = this.live(sweepId);
    const rows = [...live.rows.values()].sort((a, b) => a.index - b.index);
    const groups = groupRows(rows);
    const best = bestGroup(groups);
    return { meta: this.meta(live), rows, groups, best: best?.config ?? null };
  }

  cancel(sweepId: string): { cancelled: boolean } {
    const live = this.live(sweepId);
    if (!live.controller) return { cancelled: false };
    live.controller.abort(new Error('cancelled'));
    return { cancelled: true };
  }

  remove(sweepId: string): { removed: boolean } {
    const live = this.sweeps.get(sweepId);
    if (!live) return { removed: false };
    live.controller?.abort(new Error('removed'));
    this.sweeps.delete(sweepId);
    rmSync(join(this.dir, sweepId), { recursive: true, force: true });
    return { removed: true };
  }

  export(sweepId: string, format: 'csv' | 'json'): { fileName: string; text: string } {
    const d = this.get(sweepId);
    if (format === 'csv') return { fileName: `${sweepId}.csv`, text: rowsToCsv(d.rows, d.meta.axes) };
    const meta: Partial<SweepMeta> = { ...d.meta };
    delete meta.active;
    return { fileName: `${sweepId}.json`, text: `${JSON.stringify({ version: 1, ...meta, runs: d.rows, groups: d.groups, best: d.best }, null, 1)}\n` };
  }

  /** Stops collecting (running sweeps stay 'running' on disk, so the next host picks them up) and closes the executors. */
  async close(): Promise<void> {
    for (const l of this.sweeps.values()) l.detach?.abort(new Error('host closing'));
    await Promise.allSettled([...this.running]);
    await Promise.allSettled([this.local?.close(), ...[...this.queues.values()].map((q) => q.close())]);
  }
}
