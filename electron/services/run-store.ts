// Saved runs in the user's data folder, one folder per run, written as it goes:
//   meta.json     RunMeta (rewritten atomically on every state change)
//   spec.json     the problem spec as run
//   events.ndjson one line per batch of progress points / parameter snapshots (appended)
//   result.json   the runner's result object, views.json the figures (when it ends)
//   probes.json   what flowed on each edge in run 0's last epoch (when it ends)
// A run that was 'running' when the app stopped is listed again as failed.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParamSnapshot, ParamView, Probe, RunMeta, RunPoint, RunRecord, RunState, SeriesInfo } from '../common/lab-api.js';

const ID = /^run-[A-Za-z0-9_.-]+$/;

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, path);
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export class RunStore {
  private readonly runs = new Map<string, RunMeta>();
  private counter = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (!ID.test(name)) continue;
      const metaPath = join(dir, name, 'meta.json');
      if (!existsSync(metaPath)) continue;
      try {
        const meta = readJson<RunMeta>(metaPath);
        meta.folder = join(dir, name);
        if (meta.state === 'running') {
          meta.state = 'failed';
          meta.error = 'interrupted: the app stopped while this run was going';
          delete meta.jobId;
          writeJsonAtomic(metaPath, meta);
        }
        this.runs.set(meta.id, meta);
      } catch {
        // A folder with an unreadable meta.json is not listed (and not deleted).
      }
    }
  }

  list(): RunMeta[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt - a.createdAt).map((m) => ({ ...m }));
  }

  has(id: string): boolean {
    return this.runs.has(id);
  }

  meta(id: string): RunMeta {
    const meta = this.runs.get(id);
    if (!meta) throw new Error(`run '${id}' does not exist (it may have been deleted)`);
    return meta;
  }

  create(name: string, spec: unknown, jobId?: string): RunMeta {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const id = `run-${stamp}-${process.pid.toString(36)}${(++this.counter).toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const folder = join(this.dir, id);
    mkdirSync(folder, { recursive: true });
    const specObj = (spec && typeof spec === 'object' ? spec : {}) as Record<string, unknown>;
    // A v2 graph keeps epochs and runs in `training` and is named by its name; a v1 spec by its method.
    const training = (specObj.training && typeof specObj.training === 'object' ? specObj.training : specObj) as Record<string, unknown>;
    const method = specObj.version === 2 ? specObj.name : (specObj.method as { kind?: unknown } | undefined)?.kind;
    const meta: RunMeta = {
      id,
      name,
      method: typeof method === 'string' ? method : 'unknown',
      state: 'running',
      createdAt: Date.now(),
      epochs: typeof training.epochs === 'number' ? training.epochs : 0,
      runs: typeof training.runs === 'number' ? training.runs : 1,
      series: [],
      folder,
      ...(jobId ? { jobId } : {}),
    };
    writeJsonAtomic(join(folder, 'spec.json'), spec);
    writeFileSync(join(folder, 'events.ndjson'), '');
    writeJsonAtomic(join(folder, 'meta.json'), meta);
    this.runs.set(id, meta);
    return { ...meta };
  }

  started(id: string, info: { method: string; epochs: number; runs: number; series: SeriesInfo[] }): RunMeta {
    const meta = this.meta(id);
    Object.assign(meta, info);
    writeJsonAtomic(join(meta.folder, 'meta.json'), meta);
    return { ...meta };
  }

  append(id: string, points: RunPoint[], params: ParamSnapshot[]): void {
    if (!points.length && !params.length) return;
    const meta = this.meta(id);
    appendFileSync(join(meta.folder, 'events.ndjson'), JSON.stringify({ points, params }) + '\n');
  }

  finish(
    id: string,
    end: { state: Exclude<RunState, 'running'>; error?: string; summary?: Record<string, unknown>; views?: ParamView[]; probes?: Record<string, Probe>; result?: unknown },
  ): RunMeta {
    const meta = this.meta(id);
    if (end.result !== undefined) writeJsonAtomic(join(meta.folder, 'result.json'), end.result);
    if (end.views) writeJsonAtomic(join(meta.folder, 'views.json'), end.views);
    if (end.probes) writeJsonAtomic(join(meta.folder, 'probes.json'), end.probes);
    if (this.probeCache?.id === id) this.probeCache = null;
    meta.state = end.state;
    meta.finishedAt = Date.now();
    if (end.error !== undefined) meta.error = end.error;
    if (end.summary !== undefined) meta.summary = end.summary;
    delete meta.jobId;
    writeJsonAtomic(join(meta.folder, 'meta.json'), meta);
    return { ...meta };
  }

  get(id: string): RunRecord {
    const meta = this.meta(id);
    const spec = existsSync(join(meta.folder, 'spec.json')) ? readJson<Record<string, unknown>>(join(meta.folder, 'spec.json')) : {};
    const points: RunPoint[] = [];
    const params: ParamSnapshot[] = [];
    const eventsPath = join(meta.folder, 'events.ndjson');
    if (existsSync(eventsPath)) {
      for (const line of readFileSync(eventsPath, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const batch = JSON.parse(line) as { points?: RunPoint[]; params?: ParamSnapshot[] };
          if (batch.points) points.push(...batch.points);
          if (batch.params) params.push(...batch.params);
        } catch {
          // A half-written last line (the app stopped mid-write) is skipped.
        }
      }
    }
    const viewsPath = join(meta.folder, 'views.json');
    const views = existsSync(viewsPath) ? readJson<ParamView[]>(viewsPath) : [];
    return { meta: { ...meta }, spec, points, params, views, probeEdges: Object.keys(this.probes(id)) };
  }

  /** What flowed on `edgeId` in the run's last epoch, or null when it was not recorded. */
  probe(id: string, edgeId: string): Probe | null {
    return Object.hasOwn(this.probes(id), edgeId) ? this.probes(id)[edgeId]! : null;
  }

  // The last run's probes stay in memory: clicking from edge to edge reads the file once.
  private probeCache: { id: string; probes: Record<string, Probe> } | null = null;

  private probes(id: string): Record<string, Probe> {
    if (this.probeCache?.id === id) return this.probeCache.probes;
    const path = join(this.meta(id).folder, 'probes.json');
    const probes = existsSync(path) ? readJson<Record<string, Probe>>(path) : {};
    this.probeCache = { id, probes };
    return probes;
  }

  delete(id: string): boolean {
    const meta = this.runs.get(id);
    if (!meta) return false;
    if (meta.state === 'running') throw new Error(`run '${id}' is still going: cancel it first`);
    rmSync(meta.folder, { recursive: true, force: true });
    this.runs.delete(id);
    if (this.probeCache?.id === id) this.probeCache = null;
    return true;
  }
}
