// npm run experiment -- list
// npm run experiment -- <template|graph.json|spec.json> [--out DIR] [--epochs E] [--runs N] [--seed S] [--device cpu|cuda] [--data DIR] [--threads T] [--quiet]
// npm run experiment -- export-ts <template|graph.json|spec.json>
//
// Runs a problem graph headless — a template (the paper's four applications and
// the new ones), a graph file (version 2) or a v1 spec file (converted) — with a
// progress bar and ETA on stderr, the summary on stdout, and result.json plus
// one self-contained SVG per figure (the graph's views, and the paper's figures
// for the paper templates) in the out folder. export-ts prints the graph as a
// TypeScript script against sparse-ad-lab/engine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setThreads } from '../../native/lib/index.js';
import { paperFigures } from '../figures/paper.js';
import { viewFigures } from '../figures/views.js';
import { defaultDataDir, exportTypeScript, type Graph, GraphError, runGraph, templates, toGraph } from '../graph/index.js';
import type { EpochEvent, ExperimentEvent } from '../runner/types.js';

const USAGE = `usage: npm run experiment -- list
       npm run experiment -- <template|graph.json|spec.json> [options]
       npm run experiment -- export-ts <template|graph.json|spec.json>

  list            the templates: name, title and what each does
  <template>      one of the templates (see list)
  <graph.json>    a problem graph file (version 2), or a version-1 spec file (converted)
  export-ts       print the problem as a self-contained TypeScript script

options:
  --out DIR       where result.json and the figures go (default: out/experiments/<name>)
  --epochs E      epochs per run (default: the graph's)
  --runs N        number of runs (default: the graph's)
  --seed S        base seed (default: the graph's)
  --device D      cpu or cuda: where the training loop runs (default: the graph's)
  --data DIR      folder that relative data paths resolve against (default: ${defaultDataDir()})
  --threads T     CPU kernel threads (default: all cores)
  --quiet         no progress bar
  -h, --help      this text`;

class UsageError extends Error {}

const OPTIONS = {
  out: { type: 'string' },
  epochs: { type: 'string' },
  runs: { type: 'string' },
  seed: { type: 'string' },
  device: { type: 'string' },
  data: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function integer(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${flag}: expected an integer ≥ ${min} but received ${JSON.stringify(v)}`);
  return Number(v);
}

/** A template by name, or a graph / v1 spec file, as a checked v2 graph (and the file's folder). */
function loadGraph(target: string): { graph: Graph; specDir?: string } {
  const t = templates().find((x) => x.name === target);
  if (t) return { graph: t.graph };
  const path = resolve(target);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${target}: no such template or file (templates: ${templates().map((x) => x.name).join(', ')})` : `${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return { graph: toGraph(json), specDir: dirname(path) };
}

// ---------------------------------------------------------------------------
// Progress bar on stderr

function duration(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function progressReporter(quiet: boolean): (e: ExperimentEvent) => void {
  const tty = process.stderr.isTTY === true;
  let firstAt = 0;
  let firstStep = 0;
  let lastDraw = 0;
  let runs = 1;
  let epochs = 1;
  const draw = (e: EpochEvent, force: boolean): void => {
    const t = performance.now();
    if (!force && t - lastDraw < (tty ? 100 : 5000)) return;
    lastDraw = t;
    const frac = e.step / e.totalSteps;
    const rate = (t - firstAt) / 1000 / Math.max(1, e.step - firstStep);
    const eta = e.step === firstStep ? Number.NaN : rate * (e.totalSteps - e.step);
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const loss = Object.entries(e.losses).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join(' ');
    const where = runs > 1 ? `run ${e.run + 1}/${runs} ` : '';
    const line = `${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${where}epoch ${e.epoch + 1}/${epochs} ${loss} ETA ${duration(eta)}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  return (e) => {
    if (quiet) return;
    if (e.type === 'start') {
      runs = e.runs;
      epochs = e.epochs;
      process.stderr.write(`${e.name}: ${e.runs} run${e.runs === 1 ? '' : 's'} × ${e.epochs} epochs, seed ${e.seed}\n`);
    } else if (e.type === 'epoch') {
      if (firstAt === 0) {
        firstAt = performance.now();
        firstStep = e.step - 1;
      }
      draw(e, e.step === e.totalSteps);
    } else if (e.type === 'end' && tty) {
      process.stderr.write('\n');
    }
  };
}

/** One line: the loss from start to end and the summary's other numbers. */
function describeSummary(summary: Record<string, number | number[]>): string {
  const e = (x: number): string => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3));
  const skip = new Set(['initialLoss', 'finalLoss', 'runs', 'epochs']);
  const extras = Object.entries(summary)
    .filter(([k, v]) => !skip.has(k) && typeof v === 'number')
    .map(([k, v]) => `${k} ${e(v as number)}`);
  return [`loss ${e(summary.initialLoss as number)} → ${e(summary.finalLoss as number)}`, ...extras].join('; ');
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  let values: { [K in keyof typeof OPTIONS]?: string | boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e) {
    process.stderr.write(`experiment: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const [command, ...rest] = positionals;
    if (command === undefined) throw new UsageError('name a template, a graph file or a command (list, export-ts)');
    if (command === 'list') {
      if (rest.length) throw new UsageError(`list takes no arguments (received ${rest.join(' ')})`);
      const ts = templates();
      const w = Math.max(...ts.map((t) => t.name.length));
      for (const t of ts) process.stdout.write(`${t.name.padEnd(w)}  ${t.title} — ${t.description.split(/(?<=\.)\s+(?=[A-Z])/)[0]}\n`);
      return 0;
    }
    if (command === 'export-ts') {
      if (rest.length !== 1) throw new UsageError('export-ts takes one template or graph file');
      process.stdout.write(exportTypeScript(loadGraph(rest[0]!).graph));
      return 0;
    }
    if (rest.length) throw new UsageError(`one template or file, please (received ${[command, ...rest].map((s) => JSON.stringify(s)).join(' and ')})`);

    const { graph, specDir } = loadGraph(command);
    const tr = graph.training;
    tr.epochs = integer('epochs', values.epochs as string | undefined, 1) ?? tr.epochs;
    tr.runs = integer('runs', values.runs as string | undefined, 1) ?? tr.runs;
    tr.seed = integer('seed', values.seed as string | undefined, 0) ?? tr.seed;
    const device = values.device as string | undefined;
    if (device !== undefined && device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device: expected cpu or cuda but received ${JSON.stringify(device)}`);
    if (device) tr.device = device;
    const threads = integer('threads', values.threads as string | undefined, 0);
    if (threads !== undefined) setThreads(threads);

    const controller = new AbortController();
    const onSigint = (): void => controller.abort(new Error('cancelled (Ctrl-C)'));
    process.once('SIGINT', onSigint);
    let result;
    try {
      result = await runGraph(graph, {
        dataDir: resolve((values.data as string | undefined) ?? defaultDataDir()),
        ...(specDir ? { specDir } : {}),
        signal: controller.signal,
        onEvent: progressReporter(values.quiet === true),
      });
    } catch (e) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (e instanceof GraphError) throw e;
      process.stderr.write(`experiment: ${(e as Error).message}\n`);
      return controller.signal.aborted ? 130 : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }

    const out = resolve((values.out as string | undefined) ?? join('out', 'experiments', result.name.replace(/[^A-Za-z0-9_-]+/g, '-')));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(join(out, 'probes.json'), `${JSON.stringify(result.probes)}\n`);
    const figures = [...paperFigures(result), ...viewFigures(result.views)];
    for (const f of figures) writeFileSync(join(out, f.file), f.svg);

    process.stdout.write(`${JSON.stringify({ name: result.name, summary: result.summary }, null, 2)}\n`);
    process.stdout.write(`${describeSummary(result.summary)}\n`);
    process.stdout.write(`wrote ${join(out, 'result.json')} and ${figures.map((f) => f.file).join(', ')} in ${duration(result.seconds)} (${result.threads} thread${result.threads === 1 ? '' : 's'})\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`experiment: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof GraphError) {
      process.stderr.write(`experiment: the graph has problems:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main();
