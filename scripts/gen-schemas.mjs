#!/usr/bin/env node
// Writes the JSON Schema files generated from the project's zod schemas (the one
// source; never edit these files by hand):
//   experiments/timing/report.schema.json   the timing report (report.json)
// npm run schemas            regenerate them
// npm run schemas -- --check exit 1, naming the file, if a committed file differs (CI; a test does the same)
// Needs tsx (the schemas are TypeScript): node --import tsx scripts/gen-schemas.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const root = new URL('../', import.meta.url);
const { reportJsonSchema } = await import('../experiments/timing/report/schema.js');

/** The same text writeReports() puts beside every report. */
const text = (schema) => `${JSON.stringify(schema, null, 1)}\n`;
const files = [{ path: 'experiments/timing/report.schema.json', text: text(reportJsonSchema()) }];

let stale = 0;
for (const f of files) {
  const url = new URL(f.path, root);
  let old = null;
  try {
    old = readFileSync(url, 'utf8');
  } catch {
    // missing: written below, or stale under --check
  }
  if (old === f.text) {
    console.log(`${f.path}: up to date`);
  } else if (values.check) {
    console.error(`${f.path}: differs from its zod schema; run npm run schemas`);
    stale++;
  } else {
    writeFileSync(url, f.text);
    console.log(`${f.path}: written`);
  }
}
process.exit(stale ? 1 : 0);
