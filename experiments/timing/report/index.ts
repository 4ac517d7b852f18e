// Writes a report in every format: report.json (canonical, validated against the
// zod schema first), report.csv, report.md, report.html, and report.schema.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TimingReport } from '../types.js';
import { toCsv } from './csv.js';
import { toHtml } from './html.js';
import { toMarkdown } from './markdown.js';
import { REPORT_SCHEMA, validateReport } from './schema.js';

export { toCsv, CSV_COLUMNS } from './csv.js';
export { toHtml } from './html.js';
export { toMarkdown } from './markdown.js';
export { REPORT_SCHEMA, reportJsonSchema, TimingReportSchema, validateReport } from './schema.js';
export type { ValidationError, JsonSchema } from './schema.js';
export { buildTableView } from './table.js';

export function toJson(report: TimingReport): string {
  return `${JSON.stringify(report, null, 1)}\n`;
}

export interface WrittenReport {
  json: string;
  csv: string;
  md: string;
  html: string;
  schema: string;
}

/** Writes the four reports (and the schema) into `dir`; refuses a report that does not match its schema. */
export function writeReports(report: TimingReport, dir: string): WrittenReport {
  const errors = validateReport(report);
  if (errors.length) {
    throw new Error(`writeReports: the report does not match its schema: ${errors.slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
  }
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const paths: WrittenReport = {
    json: join(out, 'report.json'), csv: join(out, 'report.csv'), md: join(out, 'report.md'), html: join(out, 'report.html'), schema: join(out, 'report.schema.json'),
  };
  writeFileSync(paths.json, toJson(report));
  writeFileSync(paths.csv, toCsv(report));
  writeFileSync(paths.md, toMarkdown(report));
  writeFileSync(paths.html, toHtml(report));
  writeFileSync(paths.schema, `${JSON.stringify(REPORT_SCHEMA, null, 1)}\n`);
  return paths;
}
