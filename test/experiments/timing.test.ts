// The timing study's machinery: statistics, the log-log fit, the size plan, the
// report's schema (zod, and the JSON Schema generated from it, checked by a peer validator), and the reports (JSON validates, CSV parses back, HTML is
// self-contained and shows every row), on a tiny study. No assertion on timings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CsrMatrix } from '../../native/lib/index.js';
import { summarize } from '../../experiments/bench/measure.js';
import { PAPER_OPS, planSizes } from '../../experiments/timing/cases.js';
import { parseCliArgs } from '../../experiments/timing/cli.js';
import { timeMatrix } from '../../experiments/timing/matrix.js';
import { CSV_COLUMNS, REPORT_SCHEMA, reportJsonSchema, toCsv, toHtml, toJson, toMarkdown, validateReport } from '../../experiments/timing/report/index.js';
import { buildTableView } from '../../experiments/timing/report/table.js';
import { fitLogLog, speedup } from '../../experiments/timing/stats.js';
import { runTimingStudy, type TimingProgress } from '../../experiments/timing/study.js';
import type { Measurement, TimingReport } from '../../experiments/timing/types.js';
import { randomCsr } from '../helpers.js';

const TINY_TIMING = { sampleTime: 0.0005, samples: 3, warmupTime: 0.0005, maxTime: 0.01 };

test('summarize: hand-worked statistics (sample standard deviation, even and odd medians), samples kept in order', () => {
  const s = summarize([3, 1, 2], 4);
  assert.deepEqual(s.samples, [3, 1, 2]);
  assert.equal(s.callsPerSample, 4);
  assert.equal(s.min_s, 1);
  assert.equal(s.median_s, 2);
  assert.equal(s.mean_s, 2);
  assert.equal(s.stddev_s, 1); // sqrt(((3-2)² + (1-2)² + 0) / (3 - 1))
  assert.equal(s.max_s, 3);
  assert.equal(summarize([4, 1, 3, 2], 1).median_s, 2.5);
  assert.equal(summarize([5], 1).stddev_s, 0);
});

test('fitLogLog: recovers an exact power law, skips unusable points, and reports r²', () => {
  const pts = [10, 100, 1000, 1e4].map((x) => ({ x, y: 3 * x ** 1.5 }));
  const f = fitLogLog(pts)!;
  assert.ok(Math.abs(f.slope - 1.5) < 1e-12);
  assert.ok(Math.abs(f.intercept - Math.log(3)) < 1e-9);
  assert.ok(Math.abs(f.r2 - 1) < 1e-12);
  // Zero, negative and NaN points are skipped, not fitted.
  const g = fitLogLog([...pts, { x: 0, y: 1 }, { x: 5, y: -1 }, { x: Number.NaN, y: 2 }])!;
  assert.ok(Math.abs(g.slope - 1.5) < 1e-12);
  assert.equal(fitLogLog([{ x: 1, y: 1 }]), null);
  assert.equal(fitLogLog([{ x: 2, y: 1 }, { x: 2, y: 3 }]), null); // one distinct x
  // Hand-worked: points (1, 1), (e, e²), (e², e) in log space are (0,0), (1,2), (2,1): slope 0.5, r² = 0.25.
  const h = fitLogLog([{ x: 1, y: 1 }, { x: Math.E, y: Math.E ** 2 }, { x: Math.E ** 2, y: Math.E }])!;
  assert.ok(Math.abs(h.slope - 0.5) < 1e-12);
  assert.ok(Math.abs(h.r2 - 0.25) < 1e-12);
});

test('speedup: other / ours, null when either is missing or not positive', () => {
  assert.equal(speedup(10, 2), 5);
  assert.equal(speedup(null, 2), null);
  assert.equal(speedup(3, 0), null);
  assert.equal(speedup(undefined, 1), null);
});

test('planSizes: dense N scaled down by memory and work, with the reason; explicit dense sizes win', () => {
  const [spmv, spgemm, spadd] = planSizes(['spmv', 'spgemm', 'spadd'], { spmv: 32768, spgemm: 16384, spadd: 512 }, {}, 32 * 2 ** 20, 5e8);
  assert.equal(spmv!.denseN, 2048); // 2048² × 8 B = 32 MiB
  assert.match(spmv!.denseScaledReason!, /^DMV scaled down to N = 2048: an N × N float64 matrix at N = 32768 needs 8\.0 GiB, over the 32 MiB dense budget/);
  assert.equal(spgemm!.denseN, 512); // 2·512³ = 2.7e8 ≤ 5e8 < 2·1024³
  assert.match(spgemm!.denseScaledReason!, /GFLOP, over the 0\.50 GFLOP budget/);
  assert.equal(spadd!.denseN, 512);
  assert.equal(spadd!.denseScaledReason, undefined);
  const [given] = planSizes(['sptrsv'], { sptrsv: 1000 }, { sptrsv: 100 }, 1, 1);
  assert.equal(given!.denseN, 100);
  assert.match(given!.denseScaledReason!, /as asked/);
});

test('experiments/timing/report.schema.json is generated from the zod schema: the committed file is what npm run schemas writes', () => {
  const text = readFileSync(new URL('../../experiments/timing/report.schema.json', import.meta.url), 'utf8');
  assert.equal(text, `${JSON.stringify(reportJsonSchema(), null, 1)}\n`, 'stale: run npm run schemas');
  assert.deepEqual(JSON.parse(text), REPORT_SCHEMA);
  const check = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-schemas.mjs', '--check'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /report\.schema\.json: up to date/);
});

/** RFC 4180, written here independently of the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += ch;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

let tinyReport: TimingReport | null = null;
const progress: TimingProgress[] = [];
async function tiny(): Promise<TimingReport> {
  tinyReport ??= await runTimingStudy({
    ops: ['spmv', 'spadd', 'sptrsv', 'spsolve'],
    sizes: { spmv: 64, spadd: 64, sptrsv: 64, spsolve: 64 },
    denseMemoryBytes: 32 * 32 * 8, // dense N = 32 < 64: the matched runs and the scaling note
    threads: [1, 2],
    sweep: { exponents: [4, 6] },
    peers: ['scipy'],
    timing: TINY_TIMING,
    title: 'tiny <study> & "test"',
  }, (p) => void progress.push(p));
  return tinyReport;
}

test('runTimingStudy (tiny): every Table 2 cell planned, ours timed, GPU and unsupported peer cells absent with a reason', async () => {
  const r = await tiny();
  assert.equal(r.cancelled, false);
  const byId = new Map(r.measurements.map((m) => [m.id, m]));
  for (const s of r.sizes) {
    assert.equal(s.sparseN, 64);
    assert.equal(s.denseN, 32);
    for (const dtype of ['float32', 'float64']) {
      for (const t of [1, 2]) {
        for (const pass of ['forward', 'forward+backward']) {
          for (const [variant, n] of [['sparse', 64], ['dense', 32]] as const) {
            const ours = byId.get(`table2/${s.op}/${variant}/ours/cpu/${dtype}/${t}t/${pass}/${n}`);
            assert.equal(ours?.status, 'ok', `${s.op} ${variant} ${dtype} ${t}T ${pass}: ${ours?.reason}`);
            const gpu = byId.get(`table2/${s.op}/${variant}/ours/cuda/${dtype}/0t/${pass}/${n}`);
            assert.equal(gpu?.status, 'absent');
            assert.match(gpu!.reason!, /CUDA/);
            const scipy = byId.get(`table2/${s.op}/${variant}/scipy/cpu/${dtype}/${t}t/${pass}/${n}`);
            assert.ok(scipy, 'a SciPy cell for every row');
            // Where the python the peers run in has no SciPy (a fresh machine without `setup --bench`), every
            // SciPy cell is absent with that reason instead.
            if (pass === 'forward+backward') assert.match(scipy.reason!, /no reverse-mode autodiff|SciPy is not importable/);
          }
          assert.equal(byId.get(`matched/${s.op}/sparse/ours/cpu/${dtype}/${t}t/${pass}/32`)?.status, 'ok');
        }
      }
    }
  }
  for (const m of r.measurements) {
    if (m.status === 'ok') assert.ok(m.stats && m.stats.samples.length >= 1 && m.stats.median_s > 0, m.id);
    else assert.ok(m.stats === null && m.reason && m.reason.length > 0, `${m.id} is ${m.status} without a reason or with a time`);
  }
  // Figure 11: one series per op and pass, three points each, with a fit.
  assert.equal(r.sweeps.length, 4 * 2);
  for (const s of r.sweeps) {
    assert.deepEqual(s.points.map((p) => p.n), [16, 32, 64]);
    assert.ok(s.fit && Number.isFinite(s.fit.slope));
  }
  assert.ok(r.notes.some((n) => /scaled down to N = 32/.test(n)));
  assert.ok(r.notes.some((n) => /GPU columns are absent/.test(n)));
  // Progress went from 0 to total and ended with 'done'.
  const last = progress[progress.length - 1]!;
  assert.equal(last.phase, 'done');
  assert.equal(last.done, last.total);
  assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done));
});

test('report.json: validates against the schema, round-trips, and the schema catches a zero-for-absent or a duplicate id', async () => {
  const r = await tiny();
  const json = JSON.parse(toJson(r)) as TimingReport;
  assert.deepEqual(validateReport(json), []);
  assert.equal(json.schemaVersion, 1);
  assert.ok(json.environment.cpu.model && json.environment.versions.node && 'electron' in json.environment.versions);
  const absent = json.measurements.findIndex((m) => m.status === 'absent');
  const broken = structuredClone(json);
  broken.measurements[absent]!.stats = { samples: [0], callsPerSample: 1, min_s: 0, median_s: 0, mean_s: 0, stddev_s: 0, max_s: 0 };
  assert.deepEqual(validateReport(broken).map((e) => `${e.path} ${e.message}`), [`/measurements/${absent}/stats expected null (status 'absent' has no time, never a zero one) but received an object`]);
  const dup = structuredClone(json);
  dup.measurements.push(dup.measurements[0]!);
  assert.deepEqual(validateReport(dup), [{ path: `/measurements/${json.measurements.length}/id`, message: `duplicate measurement id ${json.measurements[0]!.id}` }]);
  const ok = json.measurements.findIndex((m) => m.status === 'ok');
  const noStats = structuredClone(json);
  noStats.measurements[ok]!.stats = null;
  assert.deepEqual(validateReport(noStats), [{ path: `/measurements/${ok}/stats`, message: "expected timing statistics (status 'ok') but received null" }]);
  const noReason = structuredClone(json);
  delete noReason.measurements[absent]!.reason;
  assert.deepEqual(validateReport(noReason).map((e) => e.path), [`/measurements/${absent}/reason`]);
  const lost = structuredClone(json);
  lost.sweeps[0]!.points[1]!.id = 'no/such/measurement';
  assert.deepEqual(validateReport(lost), [{ path: '/sweeps/0/points/1/id', message: 'no measurement no/such/measurement' }]);
});

test('report.json: wrong types, ranges, enums and unknown fields are reported at their JSON Pointer, all of them', async () => {
  const json = JSON.parse(toJson(await tiny())) as TimingReport;
  const bad = structuredClone(json) as unknown as Record<string, unknown> & { measurements: Record<string, unknown>[]; environment: { cpu: Record<string, unknown> } };
  bad.wall_s = -1;
  bad.measurements[0]!.pass = 'backward';
  bad.measurements[1]!.threads = 1.5;
  bad.environment.cpu.cores = '2';
  bad.extra = true;
  assert.deepEqual(validateReport(bad).map((e) => `${e.path} ${e.message}`).sort(), [
    "/environment/cpu/cores expected an integer ≥ 0 but received \"2\"",
    '/extra unknown field (expected one of schemaVersion, kind, title, createdAt, wall_s, cancelled, options, environment, peers, sizes, notes, measurements, sweeps)',
    '/measurements/0/pass expected one of "forward", "forward+backward" but received "backward"',
    '/measurements/1/threads expected an integer ≥ 0 but received 1.5',
    '/wall_s expected a number ≥ 0 but received -1',
  ]);
  assert.deepEqual(validateReport({ ...json, schemaVersion: 2 }), [{ path: '/schemaVersion', message: 'expected 1 but received 2' }]);
});

test('report.schema.json says what the zod schema says: a peer validator (Ajv, draft 2020-12) agrees on good and broken reports', async (t) => {
  // Ajv 8 comes with electron-builder, not as our own dependency: compare where it is present.
  type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null };
  let Ajv2020: new (opts: { allErrors: boolean; strict: boolean }) => { compile(schema: object): Validator };
  try {
    Ajv2020 = (await import('ajv/dist/2020.js')).default as unknown as typeof Ajv2020;
  } catch (e) {
    t.skip(`ajv is not installed (${(e as Error).message.split('\n')[0]}), so there is no peer JSON Schema validator to compare with`);
    return;
  }
  const check = new Ajv2020({ allErrors: true, strict: false }).compile(REPORT_SCHEMA);
  const json = JSON.parse(toJson(await tiny())) as TimingReport;
  const absent = json.measurements.findIndex((m) => m.status === 'absent');
  const ok = json.measurements.findIndex((m) => m.status === 'ok');
  const cases: [string, (r: TimingReport) => void][] = [
    ['as measured', () => {}],
    ['a time for an absent measurement', (r) => void (r.measurements[absent]!.stats = r.measurements[ok]!.stats)],
    ['no time for an ok one', (r) => void (r.measurements[ok]!.stats = null)],
    ['an absent one without a reason', (r) => void delete r.measurements[absent]!.reason],
    ['an unknown field', (r) => void ((r.environment.os as Record<string, unknown>).kernel = 'x')],
    ['a negative time', (r) => void (r.measurements[ok]!.stats!.samples[0] = -1)],
    ['an unknown op', (r) => void ((r.sizes[0] as { op: string }).op = 'spfoo')],
    ['a date that is not ISO', (r) => void (r.createdAt = 'yesterday')],
  ];
  for (const [what, breakIt] of cases) {
    const r = structuredClone(json);
    breakIt(r);
    const zodOk = validateReport(r).length === 0;
    assert.equal(check(r), zodOk, `${what}: Ajv ${check(r) ? 'accepts' : 'refuses'} it but zod ${zodOk ? 'accepts' : 'refuses'} it ${JSON.stringify(check.errors?.slice(0, 2))}`);
    assert.equal(zodOk, what === 'as measured', what);
  }
});

test('report.csv: one row per measurement that parses back to the same values, quoting commas, quotes and newlines', async () => {
  const r = structuredClone(await tiny());
  const odd = r.measurements.find((m) => m.status === 'absent')!;
  odd.reason = 'a "quoted", comma\nand a newline';
  const rows = parseCsv(toCsv(r));
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  assert.equal(rows.length, r.measurements.length + 1);
  const col = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
  r.measurements.forEach((m: Measurement, i) => {
    const row = rows[i + 1]!;
    assert.equal(row.length, CSV_COLUMNS.length);
    assert.equal(row[col('id')], m.id);
    assert.equal(row[col('status')], m.status);
    assert.equal(row[col('reason')], m.reason ?? '');
    assert.equal(Number(row[col('threads')]), m.threads);
    if (m.stats) {
      assert.equal(Number(row[col('median_s')]), m.stats.median_s);
      assert.deepEqual(row[col('samples')]!.split(';').map(Number), m.stats.samples);
    } else {
      assert.equal(row[col('median_s')], '', 'an absent cell has no time, never 0');
    }
  });
});

test('report.html: self-contained (no http(s), no src/href), escapes text, shows every Table 2 row and every measurement', async () => {
  const r = await tiny();
  const html = toHtml(r);
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.doesNotMatch(html, /\s(src|href)\s*=/i);
  assert.doesNotMatch(html, /<link|@import|url\(/i);
  assert.match(html, /<title>tiny &lt;study&gt; &amp; &quot;test&quot;<\/title>/);
  for (const m of r.measurements) assert.ok(html.includes(`<code>${m.id}</code>`), `measurement ${m.id} missing from the HTML`);
  const view = buildTableView(r);
  let rows = 0;
  for (const s of view.sections) {
    for (const row of s.rows) {
      rows++;
      assert.ok(html.includes(`<td>${row.test.replace(/&/g, '&amp;')}</td><td>${row.pass === 'forward' ? 'forward' : 'fwd+bwd'}</td><td class="num">${row.n}</td>`), `row ${row.test} ${row.pass}`);
    }
  }
  assert.equal(rows, 4 /* dtype × threads */ * 4 /* ops */ * 2 /* variants */ * 2 /* passes */);
  assert.equal((html.match(/<svg /g) ?? []).length >= 4 + 2 + 4, true, 'sparse-vs-dense, CPU-vs-GPU and scaling charts');
  // The embedded JSON is the report.
  const embedded = /<script type="application\/json" id="timing-report">([\s\S]*?)<\/script>/.exec(html)![1]!;
  assert.deepEqual(JSON.parse(embedded), JSON.parse(JSON.stringify(r)));
});

test('report.md: every Table 2 row, speedup columns, absent cells with numbered reasons, slopes', async () => {
  const r = await tiny();
  const md = toMarkdown(r);
  const view = buildTableView(r);
  assert.match(md, /\| test \| pass \| N \| ours CPU \| SciPy CPU \| PyTorch CPU \| ours GPU \| PyTorch GPU \| CuPy GPU \| sparse vs dense \| GPU vs CPU \| vs SciPy \| vs PyTorch \| vs CuPy \|/);
  const tableLines = md.split("\n").filter((l) => /^\| (SpMV|DMV|αA\+βB|D\+D|SpTRSV|DTRSV|spsolve|dense solve) \| (forward|fwd\+bwd) \| \d+ \|/.test(l));
  assert.equal(tableLines.length, view.sections.reduce((s, x) => s + x.rows.length, 0));
  assert.match(md, /absent \[1\]/);
  assert.match(md, /^1\. .+/m);
  assert.match(md, /## Figure 11/);
  assert.doesNotMatch(md, /\| 0 s \|/);
});

test('runTimingStudy: a missing python makes every peer absent with the reason; cancelling returns a partial, valid report', async () => {
  const r = await runTimingStudy({
    ops: ['spmv'], sizes: { spmv: 32 }, dtypes: ['float64'], threads: [1], sweep: false, cuda: false,
    peers: ['scipy', 'torch'], python: '/nonexistent/python3', timing: TINY_TIMING,
  });
  for (const p of r.peers) {
    assert.equal(p.available, false);
    assert.match(p.reason!, /could not run \/nonexistent\/python3/);
  }
  const peerCells = r.measurements.filter((m) => m.impl !== 'ours');
  assert.equal(peerCells.length, 2 /* peers */ * 2 /* variants */ * 2 /* passes */);
  for (const m of peerCells) assert.ok(m.status === 'absent' && /could not run/.test(m.reason!), m.id);
  assert.deepEqual(validateReport(r), []);

  const controller = new AbortController();
  const partial = await runTimingStudy({ ops: ['spmv', 'spadd'], sizes: { spmv: 32, spadd: 32 }, threads: [1], sweep: false, peers: [], timing: TINY_TIMING },
    (p) => { if (p.done >= 2) controller.abort(); }, controller.signal);
  assert.equal(partial.cancelled, true);
  assert.ok(partial.measurements.length >= 2 && partial.measurements.length < 16);
  assert.ok(partial.notes.some((n) => /cancelled/.test(n)));
  assert.deepEqual(validateReport(partial), []);
});

test('timeMatrix: sparse vs dense on a loaded matrix; ops that need a square matrix or a smaller dense copy are absent with the reason', async () => {
  const A = randomCsr(12, 9, { seed: 5, density: 0.3 });
  const res = await timeMatrix(A, { ops: [...PAPER_OPS], timing: TINY_TIMING, threads: [1] });
  assert.deepEqual(res.matrix, { rows: 12, cols: 9, nnz: A.nnz, dtype: 'float64' });
  const get = (op: string, variant: string, pass = 'forward'): Measurement => res.measurements.find((m) => m.op === op && m.variant === variant && m.pass === pass)!;
  for (const op of ['spmv', 'spgemm', 'spdmm', 'spadd']) {
    for (const pass of ['forward', 'forward+backward']) {
      assert.equal(get(op, 'sparse', pass).status, 'ok', `${op} ${pass}: ${get(op, 'sparse', pass).reason}`);
      assert.equal(get(op, 'dense', pass).status, 'ok', `${op} dense ${pass}: ${get(op, 'dense', pass).reason}`);
    }
  }
  assert.equal(get('spgemm', 'sparse').detail, 'spgemm(A, Aᵀ)');
  assert.equal(get('sptrsv', 'sparse').reason, 'SpTRSV needs a square matrix but this one is 12 × 9');
  assert.equal(get('spsolve', 'dense').reason, 'spsolve needs a square matrix but this one is 12 × 9');

  // Square with a full diagonal: all six run; a tiny budget makes the dense side absent.
  const S = randomCsr(10, 10, { seed: 6, density: 0.2, diagonal: 4 });
  const sq = await timeMatrix(S, { ops: [...PAPER_OPS], timing: TINY_TIMING, threads: [1], denseMemoryBytes: 100 });
  for (const m of sq.measurements) {
    if (m.variant === 'sparse') assert.equal(m.status, 'ok', `${m.id}: ${m.reason}`);
    else assert.equal(m.reason, 'a dense copy of this 10 × 10 float64 matrix needs 800 B, over the 100 B budget');
  }
  // A lower triangle with a missing diagonal entry: SpTRSV absent, naming the row.
  const noDiag = CsrMatrix.fromCoo([0, 1, 2], [0, 0, 2], [1, 1, 1], [3, 3]);
  const t = await timeMatrix(noDiag, { ops: ['sptrsv'], timing: TINY_TIMING, passes: ['forward'] });
  assert.equal(t.measurements[0]!.reason, 'SpTRSV on tril(A) needs a nonzero diagonal, but row 1 has no diagonal entry');
});

test('cli: parses the flags and names a bad one', () => {
  const { options, out } = parseCliArgs(['--quick', '--out', 'x', '--sizes', 'spmv=100,spadd=50', '--sweep', '8:10', '--no-peers', '--threads', '1,2']);
  assert.equal(out, 'x');
  assert.equal(options.quick, true);
  assert.deepEqual(options.sizes, { spmv: 100, spadd: 50 });
  assert.deepEqual(options.sweep, { exponents: [8, 10] });
  assert.deepEqual(options.peers, []);
  assert.deepEqual(options.threads, [1, 2]);
  assert.throws(() => parseCliArgs(['--sizes', 'spfoo=3']), /bad --sizes entry 'spfoo=3'/);
  assert.throws(() => parseCliArgs(['--out']), /--out needs a value/);
  assert.throws(() => parseCliArgs(['--frobnicate']), /unknown option --frobnicate/);
  assert.throws(() => parseCliArgs(['--peers', 'matlab']), /unknown peer 'matlab'/);
});

test('compareWithBenchOps: pairs our sparse cells with bench:ops records of the same op, pass, dtype, threads and N', async () => {
  const { compareWithBenchOps, agreementMarkdown } = await import('../../experiments/timing/compare.js');
  const r = await tiny();
  const m = r.measurements.find((x) => x.suite === 'table2' && x.impl === 'ours' && x.variant === 'sparse' && x.status === 'ok')!;
  const records = [
    { lib: 'ours', op: m.op, pass: m.pass, dtype: m.dtype, threads: m.threads, n: m.n, median_s: m.stats!.median_s / 2 },
    { lib: 'scipy', op: m.op, pass: m.pass, dtype: m.dtype, threads: m.threads, n: m.n, median_s: 1 },
    { lib: 'ours', op: m.op, pass: m.pass, dtype: m.dtype, threads: m.threads, n: m.n + 1, median_s: 1 },
  ];
  const rows = compareWithBenchOps(r, records);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.ratio, 2);
  assert.match(agreementMarkdown(rows), /median ratio study \/ bench:ops 2\.00/);
  assert.match(agreementMarkdown([]), /No cell/);
});

test('matrixTimingReport: a user matrix as a full report that validates and renders a "Your matrix" table in every format', async () => {
  const { matrixTimingReport } = await import('../../experiments/timing/matrix.js');
  const S = randomCsr(16, 16, { seed: 8, density: 0.2, diagonal: 3 });
  const r = await matrixTimingReport(S, { name: 'my <matrix>.mtx', timing: TINY_TIMING, threads: [1, 2], ops: ['spmv', 'spsolve'] });
  assert.deepEqual(validateReport(JSON.parse(toJson(r))), []);
  assert.equal(r.measurements.length, 2 /* ops */ * 2 /* variants */ * 2 /* threads */ * 2 /* passes */);
  assert.ok(r.measurements.every((m) => m.suite === 'matrix' && m.status === 'ok'), JSON.stringify(r.measurements.filter((m) => m.status !== 'ok')));
  const view = buildTableView(r);
  assert.equal(view.sections.length, 0);
  assert.equal(view.matrix.length, 2 * 2 * 2);
  assert.ok(view.matrix.every((row) => /×$/.test(row.speedup.text)));
  const md = toMarkdown(r);
  assert.match(md, /## Your matrix/);
  assert.equal(md.split('\n').filter((l) => /^\| (SpMV \/ DMV|spsolve \/ dense solve) \| (forward|fwd\+bwd) \| [12] \|/.test(l)).length, 8);
  assert.doesNotMatch(md, /## Table 2/);
  const html = toHtml(r);
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.match(html, /<title>Sparse AD Lab timing: my &lt;matrix&gt;\.mtx<\/title>/);
  for (const m of r.measurements) assert.ok(html.includes(`<code>${m.id}</code>`));
  assert.equal(parseCsv(toCsv(r)).length, r.measurements.length + 1);
});
