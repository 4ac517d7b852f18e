// report.md: the environment, the notes, Table 2 (one table per dtype and thread
// count, with speedups and footnoted reasons for absent cells) and the Figure 11 slopes.
import { formatSeconds } from '../../bench/measure.js';
import { formatBytes } from '../stats.js';
import type { TimingReport } from '../types.js';
import { buildTableView, type Cell, passLabel, SPEEDUP_COLUMNS, SPEEDUP_LEGEND, type Section, TIME_COLUMNS } from './table.js';

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdCell(c: Cell): string {
  return mdEscape(c.note ? `${c.text} [${c.note}]` : c.text);
}

export function environmentLines(r: TimingReport): string[] {
  const e = r.environment;
  return [
    `${e.cpu.model}, ${e.cpu.cores} cores, ${formatBytes(e.memory.totalBytes)} memory; ${e.os.platform} ${e.os.release} (${e.os.arch})`,
    `Node ${e.versions.node} (V8 ${e.versions.v8})${e.versions.electron ? `, Electron ${e.versions.electron}` : ''}${e.versions.chromium ? `, Chromium ${e.versions.chromium}` : ''}`,
    `addon: BLAS ${e.addon.blas}${e.addon.gemmBackend ? ` (GEMM ${e.addon.gemmBackend})` : ''}, KLU ${e.addon.klu ? 'yes' : 'no'}, CUDA build ${e.addon.cuda ? 'yes' : 'no'}, ${e.addon.hardwareThreads} hardware threads`,
    `CUDA: ${e.cuda.available ? e.cuda.devices.map((d) => `${d.name} (${d.computeCapability}, ${formatBytes(d.totalMemory)})`).join(', ') : `absent — ${e.cuda.reason ?? 'no device'}`}`,
    `python: ${e.python.path} ${e.python.version ?? `(${e.python.reason ?? 'unavailable'})`}; peers: ${r.peers.map((p) => (p.available ? `${p.name} ${p.version ?? ''}${p.build ? ` (${p.build})` : ''}${p.device ? ` on ${p.device}` : ''}` : `${p.name} absent`)).join(', ') || 'none'}`,
    `load average ${e.loadAverage.atStart.map((x) => x.toFixed(2)).join(' ')} at start, ${e.loadAverage.atEnd.map((x) => x.toFixed(2)).join(' ')} at end; timing env ${Object.entries(e.addon.env).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).join(' ') || '(none set)'}`,
  ];
}

export function sectionMarkdown(s: Section): string[] {
  const head = ['test', 'pass', 'N', ...TIME_COLUMNS.map((c) => c.label), ...SPEEDUP_COLUMNS];
  const out = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i >= 2 ? '---:' : '---')).join('|')}|`];
  for (const row of s.rows) {
    out.push(`| ${[mdEscape(row.test), passLabel(row.pass), String(row.n), ...row.times.map(mdCell), ...row.speedups.map(mdCell)].join(' | ')} |`);
  }
  return out;
}

export function toMarkdown(r: TimingReport): string {
  const view = buildTableView(r);
  const lines: string[] = [`# ${r.title}`, ''];
  lines.push(`${r.createdAt}; wall time ${r.wall_s.toFixed(1)} s${r.cancelled ? '; **cancelled** (partial report)' : ''}; schema version ${r.schemaVersion}.`, '');
  lines.push('## Machine', '', ...environmentLines(r).map((l) => `- ${l}`), '');
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${mdEscape(n)}`), '');
  if (view.matrix.length) {
    lines.push('## Your matrix', '', 'Medians per call; sparse vs dense = dense time / sparse time (> 1: sparse faster).', '');
    lines.push('| test | pass | threads | sparse (ours) | dense (ours) | sparse vs dense |', '|---|---|---:|---:|---:|---:|');
    for (const m of view.matrix) lines.push(`| ${mdEscape(`${m.test} / ${m.denseTest}`)} | ${passLabel(m.pass)} | ${m.threads} | ${mdCell(m.sparse)} | ${mdCell(m.dense)} | ${mdCell(m.speedup)} |`);
    lines.push('');
  }
  if (r.sizes.length) {
    lines.push('## Sizes', '', '| op pair | sparse N | dense N | why the dense N is smaller |', '|---|---:|---:|---|');
    for (const s of r.sizes) lines.push(`| ${mdEscape(`${s.sparseTest} / ${s.denseTest}`)} | ${s.sparseN} | ${s.denseN} | ${mdEscape(s.denseScaledReason ?? '')} |`);
    lines.push('');
    lines.push('## Table 2', '', SPEEDUP_LEGEND, '');
    for (const s of view.sections) lines.push(`### ${s.title}`, '', ...sectionMarkdown(s), '');
  }
  if (view.footnotes.length) {
    lines.push('Reasons for absent cells:', '');
    view.footnotes.forEach((f, i) => lines.push(`${i + 1}. ${mdEscape(f)}`));
    lines.push('');
  }
  if (r.sweeps.length) {
    lines.push('## Figure 11: time vs nnz (log-log slope)', '', '| op | pass | dtype | device | threads | slope | r² | nnz range | time range |', '|---|---|---|---|---:|---:|---:|---|---|');
    for (const s of r.sweeps) {
      const a = s.points[0];
      const b = s.points[s.points.length - 1];
      lines.push(`| ${mdEscape(s.test)} | ${passLabel(s.pass)} | ${s.dtype} | ${s.device} | ${s.threads} | ${s.fit ? s.fit.slope.toFixed(2) : '—'} | ${s.fit ? s.fit.r2.toFixed(3) : '—'} | ${a?.nnz ?? ''} … ${b?.nnz ?? ''} | ${a ? formatSeconds(a.median_s) : ''} … ${b ? formatSeconds(b.median_s) : ''} |`);
    }
    lines.push('');
  }
  const counts = { ok: 0, absent: 0, error: 0 };
  for (const m of r.measurements) counts[m.status]++;
  lines.push(`${r.measurements.length} measurements (${counts.ok} timed, ${counts.absent} absent, ${counts.error} failed); every one, with its samples, is in report.json and report.csv.`, '');
  return lines.join('\n');
}
