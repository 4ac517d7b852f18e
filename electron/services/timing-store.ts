// Timing studies in the user's data folder, one folder each: summary.json (what
// the renderer draws), report.json (the study's canonical report, which the
// report writers take) and the exported report.<ext> files.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportFormat, TimingSummary } from '../common/lab-api.js';

const ID = /^timing-[A-Za-z0-9_.-]+$/;

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class TimingStore {
  private readonly timings = new Map<string, TimingSummary>();
  private counter = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (!ID.test(name)) continue;
      const path = join(dir, name, 'summary.json');
      if (!existsSync(path)) continue;
      try {
        const t = JSON.parse(readFileSync(path, 'utf8')) as TimingSummary;
        if (t.state === 'running') {
          t.state = 'failed';
          t.error = 'interrupted: the app stopped while this study was going';
        }
        this.timings.set(t.id, t);
      } catch {
        // unreadable: not listed
      }
    }
  }

  list(): TimingSummary[] {
    return [...this.timings.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  get(id: string): TimingSummary {
    const t = this.timings.get(id);
    if (!t) throw new Error(`timing study '${id}' does not exist`);
    return t;
  }

  folder(id: string): string {
    return join(this.dir, id);
  }

  create(request: TimingSummary['request']): TimingSummary {
    const id = `timing-${Date.now().toString(36)}-${process.pid.toString(36)}${(++this.counter).toString(36)}`;
    const t: TimingSummary = { id, createdAt: Date.now(), state: 'running', request, rows: [], sweeps: [], environment: {} };
    mkdirSync(this.folder(id), { recursive: true });
    this.save(t);
    return t;
  }

  save(t: TimingSummary, report?: unknown): void {
    this.timings.set(t.id, t);
    writeAtomic(join(this.folder(t.id), 'summary.json'), JSON.stringify(t, null, 1));
    if (report !== undefined) writeAtomic(join(this.folder(t.id), 'report.json'), JSON.stringify(report));
  }

  /** The canonical report saved with the study. */
  report(id: string): unknown {
    const path = join(this.folder(id), 'report.json');
    if (!existsSync(path)) throw new Error(`timing study '${id}' has no report (it did not finish)`);
    return JSON.parse(readFileSync(path, 'utf8'));
  }

  saveExport(id: string, format: ReportFormat, text: string): string {
    const path = join(this.folder(id), `report.${format}`);
    writeAtomic(path, text);
    return path;
  }
}
