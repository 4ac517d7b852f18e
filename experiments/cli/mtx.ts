// npm run mtx -- info FILE [options]        header, statistics and a text spy plot
// npm run mtx -- convert IN OUT [options]   rewrite (e.g. to .mtx.gz, or as one triangle)
//
// Exits 1 with the reader's message ("readMatrixMarket: FILE:LINE: problem")
// when a file is rejected, 2 on a usage error.
import { performance } from 'node:perf_hooks';
import { statSync } from 'node:fs';
import {
  matrixStats,
  MatrixMarketError,
  readMatrixMarket,
  spyBins,
  writeMatrixMarket,
  type MatrixMarketResult,
  type MatrixStats,
  type ReadMatrixMarketOptions,
  type WriteMatrixMarketOptions,
} from '../../native/lib/index.js';

const USAGE = `usage: npm run mtx -- info FILE [options]
       npm run mtx -- convert IN OUT [options]

  info            print the header, statistics and a text spy plot of FILE (.mtx or .mtx.gz)
  convert         read IN and write OUT (gzipped when OUT ends in .gz)

read options:
  --complex real        read the real part of a complex file (default: reject complex files)
  --non-finite accept   accept NaN / Inf values (default: reject)
  --allow-double-field  read the non-standard field word 'double' as 'real'
  --max-rows N          largest row count accepted (default 134217728)
info options:
  --width W             spy plot width in characters (default 64)
  --json                print the header and statistics as JSON instead
convert options:
  --field F             real | integer | pattern (default: real, or pattern for a pattern file)
  --symmetry S          general | symmetric | skew-symmetric (default general)
  -h, --help            this text`;

class UsageError extends Error {}

interface Args {
  command: 'info' | 'convert';
  files: string[];
  read: ReadMatrixMarketOptions;
  width: number;
  json: boolean;
  write: WriteMatrixMarketOptions;
}

function parseArgs(argv: string[]): Args | null {
  const args: Args = { command: 'info', files: [], read: {}, width: 64, json: false, write: {} };
  const rest: string[] = [];
  const value = (k: number, name: string): string => {
    const v = argv[k + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    switch (a) {
      case '-h':
      case '--help':
        return null;
      case '--complex': {
        const v = value(k++, a);
        if (v !== 'real' && v !== 'reject') throw new UsageError(`--complex takes 'real' or 'reject', not '${v}'`);
        args.read.complex = v;
        break;
      }
      case '--non-finite': {
        const v = value(k++, a);
        if (v !== 'accept' && v !== 'reject') throw new UsageError(`--non-finite takes 'accept' or 'reject', not '${v}'`);
        args.read.nonFinite = v;
        break;
      }
      case '--allow-double-field':
        args.read.allowDoubleField = true;
        break;
      case '--max-rows': {
        const v = Number(value(k++, a));
        if (!Number.isInteger(v) || v < 0) throw new UsageError('--max-rows takes a non-negative integer');
        args.read.maxRows = v;
        break;
      }
      case '--width': {
        const v = Number(value(k++, a));
        if (!Number.isInteger(v) || v < 1 || v > 1000) throw new UsageError('--width takes an integer in 1..1000');
        args.width = v;
        break;
      }
      case '--json':
        args.json = true;
        break;
      case '--field': {
        const v = value(k++, a);
        if (v !== 'real' && v !== 'integer' && v !== 'pattern') throw new UsageError(`--field takes real, integer or pattern, not '${v}'`);
        args.write.field = v;
        break;
      }
      case '--symmetry': {
        const v = value(k++, a);
        if (v !== 'general' && v !== 'symmetric' && v !== 'skew-symmetric') throw new UsageError(`--symmetry takes general, symmetric or skew-symmetric, not '${v}'`);
        args.write.symmetry = v;
        break;
      }
      default:
        if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
        rest.push(a);
    }
  }
  const [command, ...files] = rest;
  if (command !== 'info' && command !== 'convert') throw new UsageError(command === undefined ? 'a command is needed' : `unknown command '${command}'`);
  if (command === 'info' && files.length !== 1) throw new UsageError('info takes one FILE');
  if (command === 'convert' && files.length !== 2) throw new UsageError('convert takes IN and OUT');
  args.command = command;
  args.files = files;
  return args;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(x === 1 || x === 0 ? 0 : 1)}%`);
const num = (x: number) => x.toLocaleString('en-US');

/** A text spy plot: one character per bin, darker for more entries (log scale). */
export function textSpy(A: MatrixMarketResult['matrix'], width: number): string[] {
  const [rows, cols] = A.shape;
  // A character cell is about twice as tall as wide.
  const w = Math.max(1, Math.min(width, cols));
  const h = Math.max(1, Math.round((w * rows) / Math.max(cols, 1) / 2));
  const bins = spyBins(A, w, Math.min(h, 200));
  const shades = '.:-=+*#%@';
  const lines = [`+${'-'.repeat(bins.width)}+`];
  for (let y = 0; y < bins.height; y++) {
    let line = '|';
    for (let x = 0; x < bins.width; x++) {
      const c = bins.counts[y * bins.width + x]!;
      line += c === 0 ? ' ' : shades[bins.max <= 1 ? shades.length - 1 : Math.min(shades.length - 1, Math.floor((Math.log(c) / Math.log(bins.max)) * (shades.length - 1)))];
    }
    lines.push(`${line}|`);
  }
  lines.push(lines[0]!);
  return lines;
}

function printInfo(file: string, r: MatrixMarketResult, s: MatrixStats, seconds: number, width: number): void {
  const h = r.header;
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${k.padEnd(18)}${v}`);
  row('file', file);
  row('banner', `%%MatrixMarket matrix ${h.format} ${h.field} ${h.symmetry}${h.complexPart ? ' (real part read)' : ''}`);
  row('size', `${num(h.rows)} x ${num(h.cols)}`);
  row('entries', `${num(h.entries)} in the file, ${num(h.expandedEntries)} after expansion, ${num(h.duplicates)} duplicates summed`);
  const shown = h.comments.filter((c) => c.trim() !== '' && !/^-+$/.test(c.trim())).slice(0, 6);
  for (let k = 0; k < shown.length; k++) row(k === 0 ? 'comments' : '', `%${shown[k]}`);
  let bytes = 0;
  try {
    bytes = statSync(file).size;
  } catch {
    // a stream or a vanished file: no size
  }
  row('read', `${(seconds * 1e3).toFixed(1)} ms${bytes ? `, ${num(bytes)} bytes (${(bytes / seconds / 1e6).toFixed(0)} MB/s)` : ''}`);
  out.push('', 'statistics');
  row('  nnz', `${num(s.nnz)} (density ${pct(s.density)})`);
  row('  explicit zeros', num(s.explicitZeros));
  row('  symmetry', s.square ? `pattern ${pct(s.patternSymmetry)}, numeric ${pct(s.numericSymmetry)}${s.numericSymmetric ? ' (symmetric)' : ''}` : 'n/a (rectangular)');
  row('  diagonal', `${num(s.diagonalNnz)} stored, ${num(s.zeroDiagonals)} zero or absent`);
  row('  bandwidth', `lower ${num(s.bandwidth.lower)}, upper ${num(s.bandwidth.upper)}`);
  row('  row length', `min ${s.rowLength.min}, mean ${s.rowLength.mean.toFixed(2)}, max ${s.rowLength.max} (${num(s.emptyRows)} empty rows)`);
  const spd = s.spd.likely === null ? 'unknown' : s.spd.likely ? (s.spd.certain ? 'yes' : 'likely') : 'no';
  row('  SPD', `${spd} (${s.spd.method}: ${s.spd.reason})`);
  const spy = textSpy(r.matrix, width);
  out.push('', `spy plot (${spy[0]!.length - 2} x ${spy.length - 2} characters, darker = more entries, log scale)`);
  for (const l of spy) out.push(`  ${l}`);
  console.log(out.join('\n'));
}

async function main(): Promise<number> {
  let args: Args | null;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`mtx: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  try {
    const t0 = performance.now();
    const r = await readMatrixMarket(args.files[0]!, args.read);
    const seconds = (performance.now() - t0) / 1e3;
    if (args.command === 'convert') {
      const write = { ...args.write };
      if (write.field === undefined && r.header.pattern) write.field = 'pattern';
      const { bytes } = await writeMatrixMarket(args.files[1]!, r.matrix, write);
      console.log(`${args.files[1]}: ${num(r.matrix.rows)} x ${num(r.matrix.cols)}, ${num(r.matrix.nnz)} nonzeros, ${num(bytes)} bytes of text`);
      return 0;
    }
    const s = matrixStats(r.matrix, { pattern: r.header.pattern });
    if (args.json) console.log(JSON.stringify({ header: r.header, stats: s }, null, 2));
    else printInfo(args.files[0]!, r, s, seconds, args.width);
    return 0;
  } catch (e) {
    if (e instanceof MatrixMarketError || (e instanceof Error && e.name === 'SparseAdError')) {
      // The reader's message, and the command-line spelling of the option it names.
      const hint =
        e instanceof MatrixMarketError && e.code === 'unsupported' ? ' (here: --complex real)'
        : /nonFinite option/.test(e.message) ? ' (here: --non-finite accept)'
        : /raise maxRows/.test(e.message) ? ' (here: --max-rows N)'
        : '';
      console.error(e.message + hint);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main();
