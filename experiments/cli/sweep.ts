// npm run sweep -- sweep.json [--queue URL] [--out DIR] [--epochs E] [--concurrency N] [--id ID]
//
// Runs a sweep (experiments/sweep/schema.ts): in the local pool by default, or as
// BullMQ jobs on a Redis (--queue or $SPARSE_AD_QUEUE) that `npm run worker`
// processes consume. A progress bar (runs done/total, ETA) on stderr; every row is
// appended to DIR/runs.jsonl as it is recorded (so `--id` of an interrupted sweep
// resumes it), and DIR/sweep-result.json is written when all runs are recorded.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../graph/index.js';
import { createExecutor, queueFromEnv } from '../sweep/executor.js';
import { readSweepFile, SweepError, validateSweepRuns } from '../sweep/expand.js';
import { bestGroup, groupRows, rowsToCsv } from '../sweep/groups.js';
import type { RunRow } from '../sweep/job.js';
import { checkSweepId } from '../sweep/queue.js';

const USAGE = `usage: npm run sweep -- <sweep.json> [options]

  <sweep.json>      { "version": 1, "base": "jacobi", "seeds": [0, 1, 2, 3],
                      "axes": { "training.optimizer.lr": [0.001, 0.01] } }  (see experiments/sweep/schema.ts)

options:
  --queue URL       run as BullMQ jobs on this Redis (default: $SPARSE_AD_QUEUE; none: the local pool)
  --out DIR         where sweep-result.json, runs.jsonl and runs.csv go (default: out/sweeps/<id>)
  --epochs E        epochs per run (overrides the graph's)
  --data DIR        folder that relative data paths resolve against (default: ${defaultDataDir()})
  --concurrency N   local pool: runs at once (default: all cores)
  --id ID           the sweep's id (default: <name>-<time>); an interrupted sweep resumes with its id and --out
  --quiet           no progress bar
  -h, --help        this text`;

function duration(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new SweepError(`${flag}: expected an integer ≥ ${min} but received ${JSON.stringify(v)}`);
  return Number(v);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        queue: { type: 'string' },
        out: { type: 'string' },
        epochs: { type: 'string' },
        data: { type: 'string' },
        concurrency: { type: 'string' },
        id: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`sweep: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let setup;
  try {
    if (positionals.length !== 1) throw new SweepError(positionals.length ? `one sweep file, please (received ${positionals.map((p) => JSON.stringify(p)).join(', ')})` : 'name a sweep file');
    const epochs = int('--epochs', values.epochs, 1);
    const concurrency = int('--concurrency', values.concurrency, 1);
    const sweep = readSweepFile(resolve(positionals[0]!), epochs !== undefined ? { epochs } : {});
    const dataDir = resolve(values.data ?? defaultDataDir());
    await validateSweepRuns(sweep, dataDir);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const id = checkSweepId(values.id ?? `${sweep.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${stamp}-${Math.random().toString(36).slice(2, 6)}`);
    setup = { sweep, dataDir, id, concurrency, queue: queueFromEnv(values.queue) };
  } catch (e) {
    process.stderr.write(`sweep: ${(e as Error).message}\n`);
    return 2;
  }
  const { sweep, dataDir, id, queue } = setup;
  const out = resolve(values.out ?? join('out', 'sweeps', id));
  mkdirSync(out, { recursive: true });
  const log = join(out, 'runs.jsonl');

  // Rows already recorded under this id (a resumed sweep) are kept and not run again.
  const rows = new Map<number, RunRow>();
  if (existsSync(log)) {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as RunRow & { sweepId?: string };
      if (r.sweepId === id) rows.set(r.index, r);
    }
  }

  let executor;
  try {
    executor = createExecutor({ queue, ...(setup.concurrency ? { concurrency: setup.concurrency } : {}) });
  } catch (e) {
    process.stderr.write(`sweep: ${(e as Error).message}\n`);
    return 2;
  }
  const total = sweep.runs.length;
  const quiet = values.quiet;
  const tty = process.stderr.isTTY === true;
  const t0 = performance.now();
  const resumed = rows.size;
  const active = new Map<number, { step: number; totalSteps: number }>();
  let lastDraw = 0;
  const draw = (force = false): void => {
    if (quiet) return;
    const t = performance.now();
    if (!force && t - lastDraw < (tty ? 100 : 5000)) return;
    lastDraw = t;
    const done = rows.size;
    const partial = [...active.values()].reduce((a, p) => a + p.step / p.totalSteps, 0);
    const progressed = done - resumed + partial;
    const eta = progressed > 0 ? (((t - t0) / 1000) * (total - done - partial)) / progressed : Number.NaN;
    const width = 28;
    const filled = Math.round(((done + partial) / total) * width);
    const failed = [...rows.values()].filter((r) => r.error).length;
    const line = `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total} runs${failed ? ` (${failed} failed)` : ''}, ${active.size} running, ETA ${duration(eta)}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const say = (text: string): void => {
    if (!quiet) process.stderr.write(`${tty ? '\r\x1b[K' : ''}${text}\n`);
  };
  say(`sweep ${id}: ${sweep.name}, ${sweep.configs} configuration${sweep.configs === 1 ? '' : 's'} × ${sweep.sweep.seeds.length} seed${sweep.sweep.seeds.length === 1 ? '' : 's'} = ${total} runs on ${executor.where}${resumed ? ` (${resumed} already recorded)` : ''}`);

  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('cancelled (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  let cancelled = false;
  try {
    const outcome = await executor.runSweep(id, sweep, {
      done: new Set(rows.keys()),
      dataDir,
      signal: controller.signal,
      onProgress: (p) => {
        active.set(p.index, p);
        draw();
      },
      onRow: (row) => {
        active.delete(row.index);
        rows.set(row.index, row);
        appendFileSync(log, `${JSON.stringify({ sweepId: id, ...row })}\n`);
        if (row.error) say(`run ${row.index} (${JSON.stringify(row.axes)}, seed ${row.seed}) failed on ${row.worker}: ${row.error}`);
        draw(rows.size === total);
      },
      onStatus: say,
    });
    cancelled = outcome.cancelled;
  } finally {
    process.off('SIGINT', onSigint);
    await executor.close();
  }
  if (tty && !quiet) process.stderr.write('\n');
  if (cancelled) {
    say(`cancelled: ${rows.size}/${total} runs recorded in ${log}; resume with --id ${id} --out ${out}`);
    return 130;
  }

  const all = [...rows.values()].sort((a, b) => a.index - b.index);
  const groups = groupRows(all);
  const best = bestGroup(groups);
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    version: 1,
    id,
    name: sweep.name,
    executor: executor.where,
    axes: sweep.axes,
    seeds: sweep.sweep.seeds,
    sweep: sweep.sweep,
    seconds,
    runs: all,
    groups,
    best: best ? { config: best.config, axes: best.axes, metric: 'finalLoss', mean: best.metrics.finalLoss?.mean } : null,
  };
  writeFileSync(join(out, 'sweep-result.json'), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(out, 'runs.csv'), rowsToCsv(all, sweep.axes));
  const failed = all.filter((r) => r.error).length;
  process.stdout.write(
    `${total} runs recorded (${failed} failed) in ${duration(seconds)}; best: ${best ? `${JSON.stringify(best.axes)} finalLoss ${best.metrics.finalLoss!.mean.toExponential(3)} ± ${best.metrics.finalLoss!.std.toExponential(2)}` : 'none'}\nwrote ${join(out, 'sweep-result.json')} and runs.csv\n`,
  );
  return 0;
}

process.exitCode = await main();
