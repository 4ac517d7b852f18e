// npm run bench -- [--quick] [--out DIR] [--dtype float32,float64] [--threads 1,all]
//                  [--ops spmv,...] [--sizes op=N,...] [--dense-sizes op=N,...]
//                  [--sweep LO:HI | --no-sweep] [--peers scipy,torch,cupy | --no-peers]
//                  [--python PATH] [--no-cuda] [--title TEXT] [--compare-ops FILE.json]
//
// Runs the timing study (Table 2 and Figure 11 with peers) and writes
// report.json, report.csv, report.md, report.html (and report.schema.json) into
// DIR (default bench-results/timing), drawing a progress bar on stderr. Ctrl-C
// stops it between measurements and still writes what was measured.
// --compare-ops prints the medians beside those of a `npm run bench:ops -- --out FILE.json`
// run (the same calls, the same measurement), to check that the two agree within noise.
import { pathToFileURL } from 'node:url';
import { buildInfo, type DType } from '../../native/lib/index.js';
import { formatSeconds } from '../bench/measure.js';
import { OPS } from './cases.js';
import { agreementMarkdown, compareWithBenchOps, readBenchOps } from './compare.js';
import { writeReports } from './report/index.js';
import { runTimingStudy, type TimingProgress, type TimingStudyOptions } from './study.js';
import { type OpName, type Peer, PEERS } from './types.js';

const USAGE = 'usage: npm run bench -- [--quick] [--out DIR] [--dtype float32,float64] [--threads 1,all] [--ops spmv,spgemm,spdmm,spadd,sptrsv,spsolve,cholesky,logdet,cg] '
  + '[--sizes op=N,...] [--dense-sizes op=N,...] [--sweep LO:HI | --no-sweep] [--peers scipy,torch,cupy | --no-peers] [--python PATH] [--no-cuda] [--title TEXT] '
  + '[--compare-ops FILE.json]';

export function parseCliArgs(argv: string[]): { options: TimingStudyOptions; out: string; compareOps?: string } {
  const options: TimingStudyOptions = {};
  let out = 'bench-results/timing';
  let compareOps: string | undefined;
  const value = (i: number): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`bench: ${argv[i]} needs a value (${USAGE})`);
    return v;
  };
  const sizeMap = (flag: string, text: string): Partial<Record<OpName, number>> => {
    const map: Partial<Record<OpName, number>> = {};
    for (const kv of text.split(',')) {
      const [k, v] = kv.split('=');
      if (!OPS.includes(k as OpName) || !/^\d+$/.test(v ?? '')) throw new Error(`bench: bad ${flag} entry '${kv}' (expected op=N with op one of ${OPS.join(', ')})`);
      map[k as OpName] = Number(v);
    }
    return map;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--quick': options.quick = true; break;
      case '--out': out = value(i); i++; break;
      case '--dtype': options.dtypes = value(i).split(',') as DType[]; i++; break;
      case '--threads': options.threads = value(i).split(',').map((x) => (x === 'all' ? buildInfo().hardwareThreads : Number(x))); i++; break;
      case '--ops': options.ops = value(i).split(',') as OpName[]; i++; break;
      case '--sizes': options.sizes = sizeMap(a, value(i)); i++; break;
      case '--dense-sizes': options.denseSizes = sizeMap(a, value(i)); i++; break;
      case '--sweep': {
        const m = /^(\d+):(\d+)$/.exec(value(i));
        if (!m) throw new Error(`bench: --sweep expects LO:HI exponents, e.g. 12:20 (got ${argv[i + 1]})`);
        options.sweep = { exponents: [Number(m[1]), Number(m[2])] };
        i++;
        break;
      }
      case '--no-sweep': options.sweep = false; break;
      case '--peers': options.peers = value(i).split(',') as Peer[]; i++; break;
      case '--no-peers': options.peers = []; break;
      case '--python': options.python = value(i); i++; break;
      case '--no-cuda': options.cuda = false; break;
      case '--title': options.title = value(i); i++; break;
      case '--compare-ops': compareOps = value(i); i++; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`bench: unknown option ${a} (${USAGE})`);
    }
  }
  for (const p of options.peers ?? []) if (!PEERS.includes(p)) throw new Error(`bench: unknown peer '${p}' (peers: ${PEERS.join(', ')})`);
  return compareOps === undefined ? { options, out } : { options, out, compareOps };
}

function progressBar(): (p: TimingProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let lastPct = -1;
  let lastPhase = '';
  return (p) => {
    const frac = p.total ? p.done / p.total : 1;
    const width = 28;
    const filled = Math.round(frac * width);
    const mins = Math.floor(p.elapsed_s / 60);
    const secs = Math.floor(p.elapsed_s % 60);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(100 * frac).toFixed(0).padStart(3)}% ${p.done}/${p.total} ${mins}m${String(secs).padStart(2, '0')}s ${p.phase}: ${p.label}`;
    if (tty) {
      const now = Date.now();
      if (now - lastLine < 80 && p.phase !== 'done') return;
      lastLine = now;
      const cols = process.stderr.columns ?? 120;
      process.stderr.write(`\r\x1b[K${line.slice(0, cols - 1)}`);
      if (p.phase === 'done') process.stderr.write('\n');
    } else {
      // Not a terminal (a log file): a line per 5 % and per phase.
      const pct = Math.floor(frac * 20);
      if (pct !== lastPct || p.phase !== lastPhase) process.stderr.write(`${line}\n`);
      lastPct = pct;
      lastPhase = p.phase;
    }
  };
}

async function main(): Promise<void> {
  const { options, out, compareOps } = parseCliArgs(process.argv.slice(2));
  const opsRecords = compareOps === undefined ? null : readBenchOps(compareOps); // fail before the run, not after
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nbench: stopping after the current measurement (Ctrl-C again to quit at once)…\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const report = await runTimingStudy(options, progressBar(), controller.signal);
  const paths = writeReports(report, out);
  const counts = { ok: 0, absent: 0, error: 0 };
  for (const m of report.measurements) counts[m.status]++;
  console.log(`${report.title}: ${report.measurements.length} measurements (${counts.ok} timed, ${counts.absent} absent, ${counts.error} failed) in ${formatSeconds(report.wall_s)}${report.cancelled ? ' — cancelled, partial' : ''}`);
  for (const p of Object.values(paths)) console.log(`wrote ${p}`);
  if (opsRecords) console.log(`\n${agreementMarkdown(compareWithBenchOps(report, opsRecords))}\n`);
  if (counts.error) {
    console.log('failures:');
    for (const m of report.measurements.filter((x) => x.status === 'error').slice(0, 20)) console.log(`  ${m.id}: ${m.reason}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
