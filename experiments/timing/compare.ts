// Agreement with `npm run bench:ops`: both time the same calls (ops-suite.ts)
// with the same measure(); this puts the two medians side by side for every
// sparse Table 2 cell that a bench:ops JSON (its --out file) also holds.
import { readFileSync } from 'node:fs';
import { formatSeconds } from '../bench/measure.js';
import { testName } from './cases.js';
import type { OpName, Pass, TimingReport } from './types.js';

interface OpsRecord {
  lib: string;
  op: string;
  pass: Pass;
  dtype: string;
  threads: number;
  n: number;
  median_s: number;
  kind?: string;
}

export interface Agreement {
  op: OpName;
  pass: Pass;
  dtype: string;
  threads: number;
  n: number;
  study_s: number;
  benchOps_s: number;
  /** study / bench:ops. */
  ratio: number;
}

export function compareWithBenchOps(report: TimingReport, records: readonly OpsRecord[]): Agreement[] {
  const out: Agreement[] = [];
  for (const m of report.measurements) {
    if (m.impl !== 'ours' || m.variant !== 'sparse' || m.device !== 'cpu' || (m.suite !== 'table2' && m.suite !== 'sweep') || !m.stats) continue;
    const r = records.find((x) => x.lib === 'ours' && x.op === m.op && x.pass === m.pass && x.dtype === m.dtype && x.threads === m.threads && x.n === m.n);
    if (!r) continue;
    if (out.some((a) => a.op === m.op && a.pass === m.pass && a.dtype === m.dtype && a.threads === m.threads && a.n === m.n)) continue;
    out.push({ op: m.op, pass: m.pass, dtype: m.dtype, threads: m.threads, n: m.n, study_s: m.stats.median_s, benchOps_s: r.median_s, ratio: m.stats.median_s / r.median_s });
  }
  return out;
}

export function readBenchOps(path: string): OpsRecord[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { records?: OpsRecord[] };
  if (!Array.isArray(data.records)) throw new Error(`${path}: not a bench:ops JSON (no records array)`);
  return data.records;
}

export function agreementMarkdown(rows: readonly Agreement[]): string {
  if (rows.length === 0) return 'No cell of this report matches the bench:ops file (same op, pass, dtype, threads and N).';
  const sorted = [...rows.map((r) => r.ratio)].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const lines = [
    `Agreement with bench:ops over ${rows.length} cells: median ratio study / bench:ops ${median.toFixed(2)} (range ${sorted[0]!.toFixed(2)} … ${sorted[sorted.length - 1]!.toFixed(2)}).`,
    '',
    '| test | pass | dtype | threads | N | study | bench:ops | ratio |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) lines.push(`| ${testName(r.op, 'sparse')} | ${r.pass} | ${r.dtype} | ${r.threads} | ${r.n} | ${formatSeconds(r.study_s)} | ${formatSeconds(r.benchOps_s)} | ${r.ratio.toFixed(2)} |`);
  return lines.join('\n');
}
