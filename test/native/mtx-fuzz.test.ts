// Fuzz test of the MatrixMarket reader: a few thousand seeded mutations of the
// shared corpus (truncation, byte flips, swapped tokens, huge numbers, NaN/Inf
// text, deleted and duplicated lines, inserted bytes, banner words), fed in
// random chunk sizes. Every outcome must be a valid CsrMatrix or a
// MatrixMarketError naming the input and a line, and must agree with a small
// reference reader written here from the rules in native/lib/io/matrix-market.ts
// (same accept/reject decision, same error category and line, identical matrix).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { CsrPattern, Generator, MatrixMarketError, parseMatrixMarket, type MatrixMarketResult, type ReadMatrixMarketOptions } from '../../native/lib/index.js';
import { sharedData } from '../helpers.js';

// MTX_FUZZ_SEED and MTX_FUZZ_ITERATIONS override the defaults for longer runs by hand.
const SEED = Number(process.env.MTX_FUZZ_SEED ?? 20240531);
const ITERATIONS = Number(process.env.MTX_FUZZ_ITERATIONS ?? 5000);

// ---- the reference reader ----------------------------------------------------------------------

type Outcome =
  | { ok: true; rows: number; cols: number; indptr: number[]; indices: number[]; values: number[] }
  | { ok: false; code: string; line: number };

class Reject extends Error {
  constructor(
    readonly code: string,
    readonly line: number,
  ) {
    super(`${code} at ${line}`);
  }
}

const WS = /[ \t\r]+/;
const isBlank = (s: string) => /^[ \t\r]*$/.test(s);
const isComment = (s: string) => /^[ \t\r]*%/.test(s);
const tokens = (s: string) => s.split(WS).filter((t) => t !== '');
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^-?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)$/i;
const INTEGER = /^[+-]?\d+$/;
const MAX32 = 2147483647n;

function reference(bytes: Uint8Array, opts: ReadMatrixMarketOptions): Outcome {
  try {
    return referenceParse(bytes, opts);
  } catch (e) {
    if (e instanceof Reject) return { ok: false, code: e.code, line: e.line };
    throw e;
  }
}

function referenceParse(bytes: Uint8Array, opts: ReadMatrixMarketOptions): Outcome {
  const text = Buffer.from(bytes).toString('latin1'); // one char per byte
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const L = lines.length;
  if (text === '') throw new Reject('bad_banner', 1);
  // Banner.
  let banner = lines[0]!;
  if (banner.startsWith('\xEF\xBB\xBF')) banner = banner.slice(3);
  if (!banner.startsWith('%%')) throw new Reject('bad_banner', 1);
  const bt = tokens(banner);
  if (bt[0]!.toLowerCase() !== '%%matrixmarket' || bt.length !== 5) throw new Reject('bad_banner', 1);
  const [, object, format, field0, symmetry] = bt.map((t) => t.toLowerCase()) as string[];
  let field = field0!;
  if (object !== 'matrix' || !['coordinate', 'array'].includes(format!)) throw new Reject('bad_banner', 1);
  if (field === 'double' && opts.allowDoubleField) field = 'real';
  if (!['real', 'integer', 'complex', 'pattern'].includes(field)) throw new Reject('bad_banner', 1);
  if (!['general', 'symmetric', 'skew-symmetric', 'hermitian'].includes(symmetry!)) throw new Reject('bad_banner', 1);
  if (format === 'array' && field === 'pattern') throw new Reject('bad_banner', 1);
  if (field === 'pattern' && (symmetry === 'skew-symmetric' || symmetry === 'hermitian')) throw new Reject('bad_banner', 1);
  if (symmetry === 'hermitian' && field !== 'complex') throw new Reject('bad_banner', 1);
  if (field === 'complex' && opts.complex !== 'real') throw new Reject('unsupported', 1);
  // Size line.
  let k = 1;
  while (k < L && (isBlank(lines[k]!) || isComment(lines[k]!))) k++;
  if (k >= L) throw new Reject('bad_size', Math.max(L, 1));
  const sizeLine = k + 1;
  const st = tokens(lines[k]!);
  const coord = format === 'coordinate';
  if (st.length !== (coord ? 3 : 2)) throw new Reject('bad_size', sizeLine);
  const size = st.map((t) => {
    if (!INTEGER.test(t)) throw new Reject('bad_size', sizeLine);
    const v = BigInt(t);
    if (v < 0n || v > MAX32) throw new Reject('bad_size', sizeLine);
    return Number(v);
  });
  const [rows, cols] = size as [number, number];
  const general = symmetry === 'general';
  if (!general && rows !== cols) throw new Reject('bad_size', sizeLine);
  if (rows > (opts.maxRows ?? 2 ** 27)) throw new Reject('limit', sizeLine);
  const want = coord ? size[2]! : general ? rows * cols : symmetry === 'skew-symmetric' ? (rows * (rows - 1)) / 2 : (rows * (rows + 1)) / 2;
  if (want > 2147483647) throw new Reject('limit', sizeLine);
  // Entries.
  const f32 = opts.dtype === 'float32';
  const round = f32 ? Math.fround : (x: number) => x;
  const sums = new Map<number, Map<number, number>>();
  const add = (i: number, j: number, v: number) => {
    let row = sums.get(i);
    if (!row) sums.set(i, (row = new Map()));
    const prev = row.get(j);
    row.set(j, field === 'pattern' ? 1 : prev === undefined ? v : round(prev + v));
  };
  const value = (t: string, line: number, integer: boolean): number => {
    if (integer) {
      if (!INTEGER.test(t)) throw new Reject('bad_number', line);
      const b = BigInt(t);
      if (b > 2n ** 53n || b < -(2n ** 53n)) throw new Reject('bad_number', line);
      return Number(t);
    }
    let s = t;
    if (s.startsWith('+')) {
      if (s[1] === '+' || s[1] === '-') throw new Reject('bad_number', line);
      s = s.slice(1);
    }
    let v: number;
    if (DECIMAL.test(s)) {
      v = Number(s);
      if (!Number.isFinite(v)) throw new Reject('bad_number', line); // overflow
    } else if (SPECIAL.test(s)) {
      v = /nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
    } else {
      throw new Reject('bad_number', line);
    }
    if (!Number.isFinite(v) && opts.nonFinite !== 'accept') throw new Reject('bad_number', line);
    return v;
  };
  const index = (t: string, limit: number, line: number): number => {
    if (!INTEGER.test(t)) throw new Reject('bad_number', line);
    const b = BigInt(t);
    if (b < 1n || b > BigInt(limit)) throw new Reject('index_out_of_range', line);
    return Number(b) - 1;
  };
  let read = 0;
  let extra = 0;
  let firstExtra = 0;
  let ai = symmetry === 'skew-symmetric' ? 1 : 0;
  let aj = 0;
  const needed = (coord ? 2 : 0) + (field === 'pattern' ? 0 : field === 'complex' ? 2 : 1);
  for (let n = k + 1; n < L; n++) {
    const line = n + 1;
    const s = lines[n]!;
    if (isBlank(s) || isComment(s)) continue;
    if (read === want) {
      if (extra++ === 0) firstExtra = line;
      continue;
    }
    const t = tokens(s);
    let at = 0;
    let i: number;
    let j: number;
    const next = () => {
      if (at >= t.length) throw new Reject('bad_entry', line);
      return t[at++]!;
    };
    if (coord) {
      i = index(next(), rows, line);
      j = index(next(), cols, line);
    } else {
      i = ai;
      j = aj;
    }
    let v = 1;
    let im = 0;
    if (field !== 'pattern') v = value(next(), line, field === 'integer');
    if (field === 'complex') im = value(next(), line, false);
    if (at !== needed || t.length !== needed) throw new Reject('bad_entry', line);
    if (!coord && ++ai === rows) {
      aj++;
      ai = general ? 0 : symmetry === 'skew-symmetric' ? aj + 1 : aj;
    }
    if (i === j && symmetry === 'skew-symmetric') throw new Reject('bad_entry', line);
    if (i === j && symmetry === 'hermitian' && im !== 0) throw new Reject('bad_number', line);
    v = round(v);
    add(i, j, v);
    if (!general && i !== j) add(j, i, symmetry === 'skew-symmetric' ? -v : v);
    read++;
  }
  if (read < want) throw new Reject('unexpected_eof', Math.max(L, 1));
  if (extra > 0) throw new Reject('nnz_mismatch', firstExtra);
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = sums.get(r);
    if (row) {
      for (const c of [...row.keys()].sort((a, b) => a - b)) {
        indices.push(c);
        values.push(row.get(c)!);
      }
    }
    indptr.push(indices.length);
  }
  return { ok: true, rows, cols, indptr, indices, values };
}

// ---- mutations --------------------------------------------------------------------------------

const HUGE = [
  '99999999999999999999', '2147483647', '2147483648', '-2147483649', '18446744073709551616', '1e308', '1e309', '-1e999', '1e-400',
  '4.9e-324', '1' + '0'.repeat(400), '0.' + '0'.repeat(300) + '1', '9007199254740993', '-0', '0', '-1', '0x1p3', '1e', '.', '+-1',
];
const NONFINITE = ['nan', 'NaN', '-nan', 'inf', '-inf', '+inf', 'Infinity', '-INFINITY', 'nan(123)', 'infinit'];
const BANNER_WORDS = ['matrix', 'vector', 'coordinate', 'array', 'real', 'double', 'integer', 'complex', 'pattern', 'general', 'symmetric', 'skew-symmetric', 'hermitian', 'SYMMETRIC'];
const BYTES = [0x0a, 0x0d, 0x20, 0x09, 0x25, 0x2d, 0x2b, 0x2e, 0x65, 0x45, 0x30, 0x31, 0x39, 0x00, 0x0b, 0xff, 0x6e];

function tokenSpans(b: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  let s = -1;
  for (let k = 0; k <= b.length; k++) {
    const sep = k === b.length || b[k] === 0x20 || b[k] === 0x09 || b[k] === 0x0a || b[k] === 0x0d;
    if (!sep && s < 0) s = k;
    if (sep && s >= 0) {
      spans.push([s, k]);
      s = -1;
    }
  }
  return spans;
}

function lineSpans(b: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  let s = 0;
  for (let k = 0; k < b.length; k++) {
    if (b[k] === 0x0a) {
      spans.push([s, k + 1]);
      s = k + 1;
    }
  }
  if (s < b.length) spans.push([s, b.length]);
  return spans;
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function mutate(b: Uint8Array, rnd: () => number): [Uint8Array, string] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const replaceToken = (words: readonly string[], what: string): [Uint8Array, string] => {
    const spans = tokenSpans(b);
    if (spans.length === 0) return [b, 'none'];
    // Prefer the first lines (banner, size line, first entries) half of the time.
    const [s, e] = rnd() < 0.5 ? spans[Math.floor(rnd() * Math.min(spans.length, 12))]! : pick(spans);
    const w = pick(words);
    return [cat(b.subarray(0, s), enc(w), b.subarray(e)), `${what} ${w}@${s}`];
  };
  switch (Math.floor(rnd() * 11)) {
    case 0: {
      const at = Math.floor(rnd() * (b.length + 1));
      return [b.subarray(0, at), `truncate@${at}`];
    }
    case 1: {
      if (b.length === 0) return [b, 'none'];
      const c = new Uint8Array(b);
      const at = Math.floor(rnd() * c.length);
      c[at] = rnd() < 0.5 ? pick(BYTES) : Math.floor(rnd() * 256);
      return [c, `flip@${at}=${c[at]}`];
    }
    case 2: {
      const spans = tokenSpans(b);
      if (spans.length < 2) return [b, 'none'];
      let [x, y] = [pick(spans), pick(spans)];
      if (x[0] > y[0]) [x, y] = [y, x];
      if (x[0] === y[0]) return [b, 'none'];
      return [cat(b.subarray(0, x[0]), b.subarray(y[0], y[1]), b.subarray(x[1], y[0]), b.subarray(x[0], x[1]), b.subarray(y[1])), `swap@${x[0]},${y[0]}`];
    }
    case 3:
      return replaceToken(HUGE, 'huge');
    case 4:
      return replaceToken(NONFINITE, 'nonfinite');
    case 5: {
      const lines = lineSpans(b);
      if (lines.length === 0) return [b, 'none'];
      const [s, e] = pick(lines);
      return [cat(b.subarray(0, s), b.subarray(e)), `delete-line@${s}`];
    }
    case 6: {
      const lines = lineSpans(b);
      if (lines.length === 0) return [b, 'none'];
      const [s, e] = pick(lines);
      return [cat(b.subarray(0, e), b.subarray(s, e), b.subarray(e)), `dup-line@${s}`];
    }
    case 7: {
      const at = Math.floor(rnd() * (b.length + 1));
      const ins = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(BYTES));
      return [cat(b.subarray(0, at), new Uint8Array(ins), b.subarray(at)), `insert@${at}=${ins}`];
    }
    case 8: {
      // A random decimal in a data token's place (exercises exact parsing; often still valid).
      const spans = tokenSpans(b);
      if (spans.length < 10) return [b, 'none'];
      const [s, e] = spans[8 + Math.floor(rnd() * (spans.length - 8))]!;
      const digits = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 10)).join('');
      const dot = Math.floor(rnd() * (digits.length + 1));
      const exp = rnd() < 0.5 ? '' : `e${Math.floor(rnd() * 700) - 350}`;
      const w = `${rnd() < 0.3 ? '-' : ''}${digits.slice(0, dot)}.${digits.slice(dot)}${exp}`.replace(/^(-?)\.$/, '$10');
      return [cat(b.subarray(0, s), enc(w), b.subarray(e)), `number ${w}@${s}`];
    }
    case 9: {
      // A comment, blank or whitespace-only line somewhere after the first line, or CRLF endings.
      const lines = lineSpans(b);
      if (lines.length < 2) return [b, 'none'];
      if (rnd() < 0.3) return [enc(Buffer.from(b).toString('latin1').replace(/\r?\n/g, '\r\n')), 'crlf'];
      const [s] = lines[1 + Math.floor(rnd() * (lines.length - 1))]!;
      const w = pick(['% fuzz\n', '\n', ' \t \r\n', '%\n', '%%MatrixMarket matrix\n']);
      return [cat(b.subarray(0, s), enc(w), b.subarray(s)), `insert-line@${s}`];
    }
    default: {
      const spans = tokenSpans(b).slice(1, 5); // banner words
      if (spans.length === 0) return [b, 'none'];
      const [s, e] = pick(spans);
      const w = pick(BANNER_WORDS);
      return [cat(b.subarray(0, s), enc(w), b.subarray(e)), `banner ${w}@${s}`];
    }
  }
}

// ---- the test ---------------------------------------------------------------------------------

function corpus(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const dir of [[], ['edge'], ['malformed']]) {
    const path = sharedData('matrices', ...dir);
    for (const f of readdirSync(path).filter((f) => f.endsWith('.mtx')).sort()) {
      const file = sharedData('matrices', ...dir, f);
      if (statSync(file).size > 32 * 1024) continue; // small files: many mutations per second
      out.push({ name: [...dir, f].join('/'), bytes: new Uint8Array(readFileSync(file)) });
    }
  }
  return out;
}

const OPTIONS: ReadMatrixMarketOptions[] = [{}, { complex: 'real' }, { nonFinite: 'accept' }, { complex: 'real', nonFinite: 'accept', allowDoubleField: true }, { dtype: 'float32', complex: 'real' }];

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

test('mtx fuzz: thousands of mutated corpus files give a valid matrix or a clear reader error, as the reference reader says', { timeout: 60_000 }, () => {
  const gen = new Generator(SEED);
  const rnd = () => gen.uniform();
  const files = corpus();
  assert.ok(files.length > 40, `corpus has ${files.length} files`);
  const valid = files.filter((f) => !f.name.startsWith('malformed/'));
  const tally = { accepted: 0, rejected: 0, codes: new Map<string, number>() };
  for (let it = 0; it < ITERATIONS; it++) {
    // Three in four start from a valid file, so that mutations also reach the data lines.
    const pool = rnd() < 0.75 ? valid : files;
    const src = pool[Math.floor(rnd() * pool.length)]!;
    let bytes = src.bytes;
    const steps: string[] = [];
    const count = rnd() < 0.5 ? 1 : 2 + Math.floor(rnd() * 2);
    for (let m = 0; m < count; m++) {
      const [next, what] = mutate(bytes, rnd);
      bytes = next;
      steps.push(what);
    }
    const opts = { ...OPTIONS[Math.floor(rnd() * OPTIONS.length)]! };
    const chunkSize = bytes.length < 2048 && rnd() < 0.3 ? 1 + Math.floor(rnd() * 4) : [7, 61, 512, 4096, 1 << 20][Math.floor(rnd() * 5)]!;
    const name = `fuzz-${it}.mtx`;
    const label = `iteration ${it} (${src.name}: ${steps.join(', ')}; ${JSON.stringify(opts)}; chunks of ${chunkSize})`;

    let got: MatrixMarketResult | MatrixMarketError;
    try {
      got = parseMatrixMarket(bytes, { ...opts, name, chunkSize });
    } catch (e) {
      // Anything but a reader error (a TypeError, a RangeError, a crash) fails here.
      assert.ok(e instanceof MatrixMarketError, `${label}: not a reader error: ${e instanceof Error ? e.stack : String(e)}`);
      got = e;
    }
    const want = reference(bytes, opts);
    if (got instanceof MatrixMarketError) {
      tally.rejected++;
      tally.codes.set(got.code, (tally.codes.get(got.code) ?? 0) + 1);
      assert.match(got.message, new RegExp(`^readMatrixMarket: ${name}:\\d+: \\S`), label);
      assert.equal(got.file, name);
      assert.ok(!want.ok, `${label}: rejected (${got.message}) but the reference accepts it`);
      assert.deepEqual([got.code, got.line], [want.code, want.line], `${label}: ${got.message}`);
      continue;
    }
    tally.accepted++;
    const A = got.matrix;
    assert.ok(want.ok, `${label}: accepted but the reference rejects it (${!want.ok && want.code} at line ${!want.ok && want.line})`);
    // A valid CsrMatrix: the structure passes the engine's own validation.
    const { indptr, indices } = A.pattern.raw;
    CsrPattern.create('fuzz', A.shape, indptr, indices);
    assert.equal(A.values.size, A.nnz, label);
    assert.equal(A.dtype, opts.dtype ?? 'float64', label);
    assert.deepEqual([A.rows, A.cols], [want.rows, want.cols], label);
    assert.deepEqual([...indptr], want.indptr, `${label}: indptr`);
    assert.deepEqual([...indices], want.indices, `${label}: indices`);
    const v = A.values.data;
    for (let p = 0; p < v.length; p++) if (!sameNumber(v[p]!, want.values[p]!)) assert.fail(`${label}: value ${p}: ${v[p]} vs ${want.values[p]}`);
  }
  // The mutations reach both outcomes and most error categories.
  console.log(`# ${ITERATIONS} mutations: ${tally.accepted} accepted, ${tally.rejected} rejected ${JSON.stringify([...tally.codes])}`);
  assert.ok(tally.accepted > ITERATIONS / 10, `accepted ${tally.accepted}`);
  assert.ok(tally.rejected > ITERATIONS / 4, `rejected ${tally.rejected}`);
  for (const code of ['bad_banner', 'bad_size', 'index_out_of_range', 'nnz_mismatch', 'unexpected_eof', 'bad_number', 'bad_entry', 'unsupported']) {
    assert.ok((tally.codes.get(code) ?? 0) > 0, `no mutation produced ${code}: ${JSON.stringify([...tally.codes])}`);
  }
});
