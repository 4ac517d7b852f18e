// npm run experiment -- <preset|spec.json> [--runs N] [--epochs E] [--seed S] [--device cpu|cuda] [--data DIR] [--out DIR] [--threads T]
//
// Runs one of the paper's applications (a preset: jacobi, heavyball, pcg, gcn)
// or a spec file headless: a progress bar with ETA on stderr, the summary on
// stdout, and result.json plus one self-contained SVG per paper figure in the
// out folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setThreads } from '../../native/lib/index.js';
import { defaultDataDir } from '../compile/common.js';
import { paperFigures } from '../figures/paper.js';
import { runExperiment } from '../runner/run.js';
import type { EpochEvent, ExperimentEvent } from '../runner/types.js';
import { isPresetName, preset, PRESETS } from '../spec/presets.js';

const USAGE = `usage: npm run experiment -- <preset|spec.json> [options]

  <preset>        one of: ${Object.keys(PRESETS).join(', ')}
  <spec.json>     a problem spec file (see experiments/spec/types.ts)

options:
  --runs N        number of runs (default: the spec's)
  --epochs E      epochs per run (default: the spec's)
  --seed S        base seed (default: the spec's)
  --device D      cpu or cuda: where the training loop runs (default: the spec's)
  --data DIR      folder that relative data paths resolve against (default: ${defaultDataDir()})
  --out DIR       where result.json and the figures go (default: out/experiments/<name>)
  --threads T     CPU kernel threads (default: all cores)
  --quiet         no progress bar
  -h, --help      this text`;

interface Args {
  target: string;
  runs?: number;
  epochs?: number;
  seed?: number;
  device?: 'cpu' | 'cuda';
  data?: string;
  out?: string;
  threads?: number;
  quiet: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | null {
  const args: Partial<Args> & { quiet: boolean } = { quiet: false };
  const intFlag = (flag: string, v: string | undefined, min: number): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag}: expected an integer ≥ ${min} but received ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return null;
      case '--runs':
        args.runs = intFlag(flag, value(), 1);
        break;
      case '--epochs':
        args.epochs = intFlag(flag, value(), 1);
        break;
      case '--seed':
        args.seed = intFlag(flag, value(), 0);
        break;
      case '--threads':
        args.threads = intFlag(flag, value(), 0);
        break;
      case '--device': {
        const v = value();
        if (v !== 'cpu' && v !== 'cuda') throw new UsageError(`--device: expected cpu or cuda but received ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
        args.device = v;
        break;
      }
      case '--data':
      case '--out': {
        const v = value();
        if (!v) throw new UsageError(`${flag}: expected a folder`);
        args[flag === '--data' ? 'data' : 'out'] = v;
        break;
      }
      case '--quiet':
        args.quiet = true;
        break;
      default:
        if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
        if (args.target !== undefined) throw new UsageError(`one preset or spec file, please (received ${JSON.stringify(args.target)} and ${JSON.stringify(flag)})`);
        args.target = flag;
    }
  }
  if (args.target === undefined) throw new UsageError('name a preset or a spec file');
  return args as Args;
}

/** The spec as parsed JSON (validated later by the runner), with the command-line overrides. */
function loadSpec(args: Args): { spec: Record<string, unknown>; specDir?: string } {
  let spec: Record<string, unknown>;
  let specDir: string | undefined;
  if (isPresetName(args.target)) {
    spec = preset(args.target) as unknown as Record<string, unknown>;
  } else {
    const path = resolve(args.target);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT' ? `${args.target}: no such preset or file (presets: ${Object.keys(PRESETS).join(', ')})` : `${path}: ${(e as Error).message}`,
      );
    }
    try {
      spec = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new UsageError(`${path}: a spec is a JSON object`);
    specDir = dirname(path);
  }
  if (args.runs !== undefined) spec.runs = args.runs;
  if (args.epochs !== undefined) spec.epochs = args.epochs;
  if (args.seed !== undefined) spec.seed = args.seed;
  if (args.device !== undefined) spec.device = args.device;
  return { spec, ...(specDir ? { specDir } : {}) };
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
      process.stderr.write(`${e.name}: ${e.method}, ${e.runs} run${e.runs === 1 ? '' : 's'} × ${e.epochs} epochs, seed ${e.seed}\n`);
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

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  let args: Args | null;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`experiment: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let loaded: ReturnType<typeof loadSpec>;
  try {
    loaded = loadSpec(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`experiment: ${e.message}\n`);
    return 2;
  }
  if (args.threads !== undefined) setThreads(args.threads);

  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('cancelled (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await runExperiment(loaded.spec, {
      dataDir: resolve(args.data ?? defaultDataDir()),
      ...(loaded.specDir ? { specDir: loaded.specDir } : {}),
      signal: controller.signal,
      onEvent: progressReporter(args.quiet),
    });
  } catch (e) {
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stderr.write(`experiment: ${(e as Error).message}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }

  const out = resolve(args.out ?? join('out', 'experiments', result.name));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
  const figures = paperFigures(result);
  for (const f of figures) writeFileSync(join(out, f.file), f.svg);

  process.stdout.write(`${JSON.stringify({ name: result.name, method: result.method, summary: result.summary }, null, 2)}\n`);
  process.stdout.write(`${describeSummary(result)}\n`);
  process.stdout.write(`wrote ${join(out, 'result.json')} and ${figures.map((f) => f.file).join(', ')} in ${duration(result.seconds)} (${result.threads} thread${result.threads === 1 ? '' : 's'})\n`);
  return 0;
}

function describeSummary(r: Awaited<ReturnType<typeof runExperiment>>): string {
  const e = (x: number): string => x.toExponential(3);
  switch (r.method) {
    case 'jacobi': {
      const w = r.summary.weights;
      const mid = w.slice(Math.floor(w.length / 4), Math.ceil((3 * w.length) / 4));
      return `loss ${e(r.summary.initialLoss)} → ${e(r.summary.finalLoss)}; weights: ends ${w[0]!.toFixed(3)}, ${w[w.length - 1]!.toFixed(3)}, middle mean ${(mid.reduce((a, b) => a + b, 0) / mid.length).toFixed(3)}`;
    }
    case 'heavyball':
      return `loss ${e(r.summary.initialLoss)} → ${e(r.summary.finalLoss)}; α = ${r.summary.alpha.toFixed(4)}, β = ${r.summary.beta.toFixed(4)}`;
    case 'pcg': {
      const n = r.summary.cgResidual.length;
      return `loss ${e(r.summary.initialLoss)} → ${e(r.summary.finalLoss)}; relative residual after ${n} iterations: CG ${e(r.summary.cgResidual[n - 1]!)}, learned PCG ${e(r.summary.pcgResidual[n - 1]!)}`;
    }
    case 'gcn':
      return `test accuracy ${(r.summary.testAccuracyMean * 100).toFixed(2)}% ± ${(r.summary.testAccuracyStd * 100).toFixed(2)}% over ${r.summary.runs} runs of ${r.summary.epochs} epochs; ${r.summary.secondsPerRun.toFixed(3)} s per run`;
  }
}

process.exitCode = await main();
