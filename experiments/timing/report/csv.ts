// report.csv: one flat row per measurement (RFC 4180 quoting); the samples of a
// measurement are one field, separated by ';'. Absent cells have empty times.
import type { Measurement, TimingReport } from '../types.js';

export const CSV_COLUMNS = [
  'id', 'suite', 'op', 'test', 'variant', 'impl', 'detail', 'device', 'threads', 'dtype', 'pass', 'n', 'nnz', 'status', 'reason',
  'median_s', 'min_s', 'mean_s', 'stddev_s', 'max_s', 'samples_count', 'calls_per_sample', 'samples',
] as const;

function field(v: string | number | undefined | null): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(m: Measurement): string[] {
  const s = m.stats;
  return [
    m.id, m.suite, m.op, m.test, m.variant, m.impl, m.detail, m.device, String(m.threads), m.dtype, m.pass, String(m.n), String(m.nnz),
    m.status, m.reason ?? '',
    s ? String(s.median_s) : '', s ? String(s.min_s) : '', s ? String(s.mean_s) : '', s ? String(s.stddev_s) : '', s ? String(s.max_s) : '',
    s ? String(s.samples.length) : '', s ? String(s.callsPerSample) : '', s ? s.samples.join(';') : '',
  ];
}

export function toCsv(report: TimingReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of report.measurements) lines.push(csvRow(m).map(field).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
