// MatrixMarket reader and writer: the shared corpus (real matrices, edge cases,
// malformed files), exact number parsing, chunk boundaries, streams, gzip, and
// write → read round trips. The reference for the real matrices is a small
// line-splitting reader written here (independent of the native parser).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  CsrMatrix,
  MatrixMarketError,
  MatrixMarketParser,
  parseMatrixMarket,
  readMatrixMarket,
  writeMatrixMarket,
  type ReadMatrixMarketOptions,
} from '../../native/lib/index.js';
import { denseOf, sharedData } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'sad-mtx-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface IndexEntry {
  name: string;
  file: string;
  rows: number;
  cols: number;
  nnz: number;
  nnz_expanded: number;
  field: string;
  symmetry: string;
  format: string;
  explicit_zeros: number;
}
const index = JSON.parse(readFileSync(sharedData('matrices', 'index.json'), 'utf8')) as { matrices: IndexEntry[] };

/** Bitwise equality of two CSR matrices (shape, structure, values incl. -0 and NaN). */
function assertIdentical(a: CsrMatrix, b: CsrMatrix, msg: string): void {
  assert.deepEqual(a.shape, b.shape, `${msg}: shape`);
  assert.deepEqual(a.indptr, b.indptr, `${msg}: indptr`);
  assert.deepEqual(a.indices, b.indices, `${msg}: indices`);
  assert.equal(a.dtype, b.dtype, `${msg}: dtype`);
  const va = a.values.data;
  const vb = b.values.data;
  assert.equal(va.length, vb.length, `${msg}: nnz`);
  for (let p = 0; p < va.length; p++) if (!Object.is(va[p], vb[p])) assert.fail(`${msg}: value ${p}: ${va[p]} vs ${vb[p]}`);
}

async function rejects(source: string, opts: ReadMatrixMarketOptions = {}): Promise<MatrixMarketError> {
  try {
    await readMatrixMarket(source, opts);
  } catch (e) {
    assert.ok(e instanceof MatrixMarketError, `expected a MatrixMarketError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${source} was accepted`);
}

function parseRejects(text: string | Uint8Array, opts: ReadMatrixMarketOptions = {}): MatrixMarketError {
  try {
    parseMatrixMarket(text, opts);
  } catch (e) {
    assert.ok(e instanceof MatrixMarketError, `expected a MatrixMarketError, got ${String(e)}`);
    return e;
  }
  assert.fail(`accepted: ${JSON.stringify(String(text).slice(0, 80))}`);
}

/**
 * Reference reader: splits the text into lines and returns the entries of the
 * full matrix as a Map "i,j" → summed value (real part for complex files).
 */
function referenceEntries(text: string): { rows: number; cols: number; entries: Map<string, number> } {
  const lines = text.split(/\r?\n/);
  const [, , format, field, symmetry] = lines[0]!.trim().toLowerCase().split(/\s+/);
  let k = 1;
  while (lines[k]!.trim() === '' || lines[k]!.trim().startsWith('%')) k++;
  const size = lines[k++]!.trim().split(/\s+/).map(Number);
  const [rows, cols] = size as [number, number];
  const entries = new Map<string, number>();
  const add = (i: number, j: number, v: number) => {
    const key = `${i},${j}`;
    entries.set(key, field === 'pattern' ? 1 : (entries.get(key) ?? 0) + v);
  };
  const values: number[][] = [];
  for (; k < lines.length; k++) {
    const t = lines[k]!.trim();
    if (t === '' || t.startsWith('%')) continue;
    values.push(t.split(/\s+/).map(Number));
  }
  if (format === 'array') {
    let n = 0;
    for (let j = 0; j < cols; j++) {
      for (let i = symmetry === 'general' ? 0 : symmetry === 'skew-symmetric' ? j + 1 : j; i < rows; i++) {
        const v = values[n++]![0]!;
        add(i, j, v);
        if (i !== j && symmetry !== 'general') add(j, i, symmetry === 'skew-symmetric' ? -v : v);
      }
    }
  } else {
    for (const f of values) {
      const i = f[0]! - 1;
      const j = f[1]! - 1;
      const v = field === 'pattern' ? 1 : f[2]!;
      add(i, j, v);
      if (i !== j && symmetry !== 'general') add(j, i, symmetry === 'skew-symmetric' ? -v : v);
    }
  }
  return { rows, cols, entries };
}

function entriesOf(A: CsrMatrix): Map<string, number> {
  const m = new Map<string, number>();
  const ip = A.indptr;
  const ix = A.indices;
  const v = A.values.data;
  for (let i = 0; i < A.rows; i++) {
    let prev = -1;
    for (let p = ip[i]!; p < ip[i + 1]!; p++) {
      assert.ok(ix[p]! > prev, `row ${i} is not sorted and duplicate-free`);
      prev = ix[p]!;
      m.set(`${i},${ix[p]}`, v[p]!);
    }
  }
  return m;
}

// ---- the real matrices --------------------------------------------------------------------------

test('mtx: every matrix in index.json has the listed shape and nnz, and the entries of a reference reader', async () => {
  assert.equal(index.matrices.length, 19);
  for (const m of index.matrices) {
    const path = sharedData('matrices', m.file);
    const complex = m.field === 'complex';
    if (complex) {
      const e = await rejects(path);
      assert.equal(e.code, 'unsupported');
      assert.equal(e.line, 1);
      assert.equal(
        e.message,
        `readMatrixMarket: ${path}:1: complex matrices are not read by default (the engine is real-valued); pass the option complex: 'real' to read the real part`,
      );
    }
    const { matrix: A, header } = await readMatrixMarket(path, complex ? { complex: 'real' } : {});
    assert.deepEqual(A.shape, [m.rows, m.cols], m.name);
    assert.equal(A.nnz, m.nnz_expanded, `${m.name}: nnz`);
    assert.equal(header.entries, m.nnz, `${m.name}: entries in the file`);
    assert.equal(header.duplicates, 0, m.name);
    assert.equal(header.format, m.format);
    assert.equal(header.field, m.field);
    assert.equal(header.symmetry, m.symmetry);
    assert.equal(header.pattern, m.field === 'pattern');
    assert.equal(header.complexPart, complex ? 'real' : null);
    assert.equal(A.dtype, 'float64');
    let zeros = 0;
    for (const v of A.values.data) if (v === 0) zeros++;
    if (m.symmetry === 'general') assert.equal(zeros, m.explicit_zeros, `${m.name}: explicit zeros kept`);
    const ref = referenceEntries(readFileSync(path, 'utf8'));
    const got = entriesOf(A);
    assert.equal(got.size, ref.entries.size, m.name);
    for (const [key, v] of ref.entries) assert.ok(Object.is(got.get(key), v), `${m.name} (${key}): ${got.get(key)} vs ${v}`);
  }
});

test('mtx: write → read gives back the identical matrix for every matrix in index.json', async () => {
  for (const m of index.matrices) {
    const { matrix: A } = await readMatrixMarket(sharedData('matrices', m.file), { complex: 'real' });
    const out = join(tmp, `${m.name}.mtx`);
    await writeMatrixMarket(out, A);
    assertIdentical((await readMatrixMarket(out)).matrix, A, `${m.name} (general)`);
    // In the file's own field and symmetry (one triangle for symmetric ones).
    const field = m.field === 'complex' ? 'real' : (m.field as 'real' | 'integer' | 'pattern');
    const symmetry = m.symmetry === 'hermitian' ? 'symmetric' : (m.symmetry as 'general' | 'symmetric' | 'skew-symmetric');
    await writeMatrixMarket(out, A, { field, symmetry, comment: [`${m.name}`, 'written by the round-trip test'] });
    const back = await readMatrixMarket(out);
    assertIdentical(back.matrix, A, `${m.name} (${field} ${symmetry})`);
    assert.equal(back.header.field, field);
    assert.equal(back.header.symmetry, symmetry);
    assert.deepEqual(back.header.comments, [`${m.name}`, 'written by the round-trip test']);
    if (symmetry !== 'general') assert.equal(back.header.entries, m.nnz, `${m.name}: one triangle written`);
  }
});

test('mtx: gzip files and streams (plain, gzipped, string chunks) read the same matrix', async () => {
  const path = sharedData('matrices', 'bcsstk01.mtx');
  const ref = (await readMatrixMarket(path)).matrix;
  const gz = join(tmp, 'bcsstk01.mtx.gz');
  await writeMatrixMarket(gz, ref);
  assert.equal(readFileSync(gz)[0], 0x1f, 'a .gz path is written gzipped');
  assertIdentical((await readMatrixMarket(gz)).matrix, ref, '.mtx.gz');
  // Gzip detected by its magic bytes under another name, and in a stream.
  const disguised = join(tmp, 'bcsstk01-gz.mtx');
  writeFileSync(disguised, gzipSync(readFileSync(path)));
  assertIdentical((await readMatrixMarket(disguised)).matrix, ref, 'gzip by magic bytes');
  const bytes = readFileSync(path);
  const chunks = (b: Buffer, n: number) => Array.from({ length: Math.ceil(b.length / n) }, (_, k) => b.subarray(k * n, (k + 1) * n));
  assertIdentical((await readMatrixMarket(Readable.from(chunks(bytes, 97)))).matrix, ref, 'stream');
  assertIdentical((await readMatrixMarket(Readable.from(chunks(gzipSync(bytes), 13)))).matrix, ref, 'gzipped stream');
  const text = bytes.toString('utf8');
  assertIdentical((await readMatrixMarket(Readable.from([text.slice(0, 1000), text.slice(1000)], { objectMode: true }))).matrix, ref, 'string chunks');
  // A stream target for the writer, gzipped or not, stays open.
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (c: Buffer) => parts.push(c));
  await writeMatrixMarket(sink, ref, { gzip: true });
  assert.equal(sink.writableEnded, false);
  sink.end();
  assertIdentical((await readMatrixMarket(Readable.from([Buffer.concat(parts)]))).matrix, ref, 'gzipped stream written by the writer');
  // A corrupt gzip file: a clear 'io' error naming the file.
  const broken = join(tmp, 'broken.mtx.gz');
  writeFileSync(broken, gzipSync(bytes).subarray(0, 200));
  const e = await rejects(broken);
  assert.equal(e.code, 'io');
  assert.match(e.message, new RegExp(`^readMatrixMarket: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot gunzip the input \\(`));
});

test('mtx: chunk boundaries anywhere (down to one byte) give the same matrix and the same errors', () => {
  for (const name of ['bcsstk01.mtx', 'west0067_jumbled.mtx', 'lagraph_full.mtx', 'cholmod_c.mtx', 'edge/crlf_line_endings.mtx', 'edge/no_final_newline.mtx', 'edge/uppercase_banner_tabs.mtx']) {
    const bytes = readFileSync(sharedData('matrices', name));
    const whole = parseMatrixMarket(bytes, { complex: 'real' }).matrix;
    for (const chunkSize of [1, 2, 3, 7, 64]) {
      assertIdentical(parseMatrixMarket(bytes, { complex: 'real', chunkSize }).matrix, whole, `${name} in chunks of ${chunkSize}`);
    }
  }
  for (const name of ['index_out_of_range_row.mtx', 'truncated.mtx', 'missing_value.mtx', 'nnz_mismatch_extra_entries.mtx']) {
    const bytes = readFileSync(sharedData('matrices', 'malformed', name));
    const whole = parseRejects(bytes);
    for (const chunkSize of [1, 5]) assert.equal(parseRejects(bytes, { chunkSize }).message, whole.message, name);
  }
});

// ---- the edge and malformed corpora ---------------------------------------------------------------

test('mtx: every edge file parses to the matrix its expected.json gives', async () => {
  const expected = JSON.parse(readFileSync(sharedData('matrices', 'edge', 'expected.json'), 'utf8')) as { files: Record<string, { expected_dense: number[][] }> };
  const files = readdirSync(sharedData('matrices', 'edge')).filter((f) => f.endsWith('.mtx'));
  assert.deepEqual(files.sort(), Object.keys(expected.files).sort());
  for (const f of files) {
    const { matrix, header } = await readMatrixMarket(sharedData('matrices', 'edge', f));
    assert.deepEqual(denseOf(matrix), expected.files[f]!.expected_dense, f);
    if (f === 'duplicates.mtx') {
      assert.equal(matrix.nnz, 3);
      assert.equal(header.duplicates, 1);
    }
    if (f === 'empty_nnz0.mtx') assert.deepEqual([matrix.nnz, ...matrix.indptr], [0, 0, 0, 0, 0]);
    if (f === 'pattern_symmetric_diag.mtx') assert.equal(header.pattern, true);
    if (f === 'symmetric_upper_triangle.mtx') assert.equal(matrix.nnz, 7);
    if (f === 'uppercase_banner_tabs.mtx') {
      assert.deepEqual([header.format, header.field, header.symmetry], ['coordinate', 'real', 'general']);
      assert.deepEqual(header.comments, ['comment without a space']);
    }
  }
});

// file → [category, line]; lines counted by hand from each file.
const malformedLines: Record<string, [string, number]> = {
  'bad_banner_array_pattern.mtx': ['bad_banner', 1],
  'bad_banner_field.mtx': ['bad_banner', 1],
  'bad_banner_missing.mtx': ['bad_banner', 1],
  'bad_banner_misspelled.mtx': ['bad_banner', 1],
  'bad_banner_object.mtx': ['bad_banner', 1],
  'bad_banner_pattern_skew.mtx': ['bad_banner', 1],
  'bad_banner_real_hermitian.mtx': ['bad_banner', 1],
  'bad_banner_symmetry.mtx': ['bad_banner', 1],
  'bad_banner_too_few_tokens.mtx': ['bad_banner', 1],
  'complex_missing_imag.mtx': ['bad_entry', 5],
  'dimension_overflow.mtx': ['bad_size', 3],
  'empty_file.mtx': ['bad_banner', 1],
  'fractional_index.mtx': ['bad_number', 5],
  'huge_claimed_array.mtx': ['unexpected_eof', 6],
  'huge_claimed_nnz.mtx': ['unexpected_eof', 6],
  'index_out_of_range_col.mtx': ['index_out_of_range', 8],
  'index_out_of_range_row.mtx': ['index_out_of_range', 10],
  'integer_field_float_value.mtx': ['bad_number', 5],
  'missing_value.mtx': ['bad_entry', 9],
  'negative_dimension.mtx': ['bad_size', 3],
  'negative_nnz.mtx': ['bad_size', 3],
  'nnz_mismatch_extra_entries.mtx': ['nnz_mismatch', 10],
  'nnz_mismatch_too_few.mtx': ['unexpected_eof', 11],
  'non_numeric_index.mtx': ['bad_number', 7],
  'non_numeric_value.mtx': ['bad_number', 6],
  'size_line_missing.mtx': ['bad_size', 3],
  'size_line_too_few_tokens.mtx': ['bad_size', 3],
  'symmetric_not_square.mtx': ['bad_size', 3],
  'truncated.mtx': ['unexpected_eof', 24],
  'truncated_after_size_line.mtx': ['unexpected_eof', 3],
  'zero_based.mtx': ['index_out_of_range', 4],
};

test('mtx: every malformed file is rejected with its category, the file and the line', async () => {
  const expected = JSON.parse(readFileSync(sharedData('matrices', 'malformed', 'expected.json'), 'utf8')) as { files: Record<string, { category: string }> };
  const files = readdirSync(sharedData('matrices', 'malformed')).filter((f) => f.endsWith('.mtx'));
  assert.equal(files.length, 31);
  assert.deepEqual(files.sort(), Object.keys(malformedLines).sort());
  const rss0 = process.memoryUsage().rss;
  for (const f of files) {
    const path = sharedData('matrices', 'malformed', f);
    const e = await rejects(path, { complex: 'real' });
    const [code, line] = malformedLines[f]!;
    assert.equal(expected.files[f]!.category, code, `${f}: the table here agrees with expected.json`);
    assert.equal(e.code, code, `${f}: ${e.message}`);
    assert.equal(e.line, line, `${f}: ${e.message}`);
    assert.equal(e.file, path);
    assert.ok(e.message.startsWith(`readMatrixMarket: ${path}:${line}: `), e.message);
    assert.ok(e.problem.length > 10);
    // Also rejected with the default options (complex files then stop at the banner).
    const d = await rejects(path);
    assert.equal(d.code, f === 'complex_missing_imag.mtx' ? 'unsupported' : code, f);
  }
  // The files that claim 2^28 entries over a three-line body allocate nothing of the sort.
  assert.ok(process.memoryUsage().rss - rss0 < 200 * 2 ** 20, 'no allocation from the claimed sizes');
});

test('mtx: the exact messages of the malformed corpus', async () => {
  const problems: Record<string, string> = {
    'bad_banner_array_pattern.mtx': "field 'pattern' is not allowed with format 'array'",
    'bad_banner_field.mtx': "unknown field 'double' (real|integer|complex|pattern)",
    'bad_banner_missing.mtx': "first line is not a '%%MatrixMarket' banner (it reads '5 5 8')",
    'bad_banner_misspelled.mtx': "unknown banner token '%%MatrixMarkt' (expected '%%MatrixMarket')",
    'bad_banner_object.mtx': "unsupported object 'vector' (only 'matrix' is supported)",
    'bad_banner_pattern_skew.mtx': "symmetry 'skew-symmetric' is not allowed with field 'pattern'",
    'bad_banner_real_hermitian.mtx': "symmetry 'hermitian' requires field 'complex' (here 'real')",
    'bad_banner_symmetry.mtx': "unknown symmetry 'symmetrical' (general|symmetric|skew-symmetric|hermitian)",
    'bad_banner_too_few_tokens.mtx': "banner has 4 tokens, 5 required ('%%MatrixMarket matrix <format> <field> <symmetry>')",
    'complex_missing_imag.mtx': 'entry has 3 fields, 4 required for field complex (row column real imaginary)',
    'dimension_overflow.mtx': 'row count 99999999999999999999 does not fit in a 32-bit index (at most 2147483647)',
    'empty_file.mtx': "empty file (expected a '%%MatrixMarket matrix <format> <field> <symmetry>' banner)",
    'fractional_index.mtx': "row index '2.5' is not an integer",
    'huge_claimed_array.mtx': 'unexpected end of file: expected 268435456 values, found 3',
    'huge_claimed_nnz.mtx': 'unexpected end of file: expected 268435456 entries, found 3',
    'index_out_of_range_col.mtx': 'column index 99 is outside 1..5',
    'index_out_of_range_row.mtx': 'row index 6 is outside 1..5',
    'integer_field_float_value.mtx': "value '1.5' is not an integer (field integer)",
    'missing_value.mtx': 'entry has 2 fields, 3 required for field real (row column value)',
    'negative_dimension.mtx': 'row count -5 is negative',
    'negative_nnz.mtx': 'entry count -3 is negative',
    'nnz_mismatch_extra_entries.mtx': 'the size line declares 6 entries but 8 are present (the first extra one is on this line)',
    'nnz_mismatch_too_few.mtx': 'unexpected end of file: expected 10 entries, found 8',
    'non_numeric_index.mtx': "row index 'x3' is not an integer",
    'non_numeric_value.mtx': "value 'abc' is not a number",
    'size_line_missing.mtx': 'no size line before the end of the file',
    'size_line_too_few_tokens.mtx': 'coordinate size line has 2 numbers, 3 required (rows columns entries)',
    'symmetric_not_square.mtx': 'symmetric matrix must be square but the size line gives 5 x 4',
    'truncated.mtx': 'unexpected end of file: expected 224 entries, found 10',
    'truncated_after_size_line.mtx': 'unexpected end of file: expected 8 entries, found 0',
    'zero_based.mtx': 'row index 0 is outside 1..5 (MatrixMarket indices are 1-based)',
  };
  for (const [f, problem] of Object.entries(problems)) {
    const e = await rejects(sharedData('matrices', 'malformed', f), { complex: 'real' });
    assert.equal(e.problem, problem, f);
  }
});

// ---- formats, fields, options ---------------------------------------------------------------------

test('mtx: array format (column-major; general, symmetric, skew-symmetric, complex hermitian)', async () => {
  const { matrix, header } = await readMatrixMarket(sharedData('matrices', 'lagraph_full.mtx'));
  assert.equal(header.format, 'array');
  assert.deepEqual(denseOf(matrix), [
    [0.646, 0.276, 0.162],
    [0.709, 0.679, 0.118],
    [0.754, 0.655, 0.498],
  ]);
  // Zeros in an array file are stored entries.
  const g = parseMatrixMarket('%%MatrixMarket matrix array integer general\n2 3\n1\n0\n3\n4\n0\n6\n');
  assert.deepEqual(denseOf(g.matrix), [[1, 3, 0], [0, 4, 6]]);
  assert.equal(g.matrix.nnz, 6);
  const s = parseMatrixMarket('%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n');
  assert.deepEqual(denseOf(s.matrix), [[1, 2, 3], [2, 4, 5], [3, 5, 6]]);
  const k = parseMatrixMarket('%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n');
  assert.deepEqual(denseOf(k.matrix), [[0, -1, -2], [1, 0, -3], [2, 3, 0]]);
  assert.equal(k.matrix.nnz, 6);
  const h = parseMatrixMarket('%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 -1\n3 0\n', { complex: 'real' });
  assert.deepEqual(denseOf(h.matrix), [[1, 2], [2, 3]]);
  assert.equal(parseRejects('%%MatrixMarket matrix array real general\n2 2\n1\n2 3\n').problem, 'array value line has 2 fields, 1 required for field real (value)');
  assert.equal(parseRejects('%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n5\n').problem, 'the size line declares 4 values but 5 are present (the first extra one is on this line)');
  assert.equal(parseRejects('%%MatrixMarket matrix array real general\n2 2 4\n').problem, 'array size line has 3 numbers, 2 required (rows columns)');
  assert.equal(parseRejects('%%MatrixMarket matrix array real general\n65536 65536\n').code, 'limit');
});

test('mtx: complex files: rejected by default, the real part with complex: "real"', () => {
  const text = '%%MatrixMarket matrix coordinate complex hermitian\n3 3 3\n1 1 2 0\n3 1 1.5 -4\n3 3 5 0\n';
  const e = parseRejects(text, { name: 'h.mtx' });
  assert.equal(e.message, "readMatrixMarket: h.mtx:1: complex matrices are not read by default (the engine is real-valued); pass the option complex: 'real' to read the real part");
  const { matrix, header } = parseMatrixMarket(text, { complex: 'real' });
  assert.deepEqual(denseOf(matrix), [[2, 0, 1.5], [0, 0, 0], [1.5, 0, 5]]);
  assert.equal(header.field, 'complex');
  assert.equal(header.complexPart, 'real');
  const cholmod = parseMatrixMarket(readFileSync(sharedData('matrices', 'cholmod_c.mtx')), { complex: 'real' });
  assert.deepEqual(denseOf(cholmod.matrix), [[1, 0, 2], [0, 1, 3], [2, 3, 42]]);
  const bad = parseRejects('%%MatrixMarket matrix coordinate complex hermitian\n2 2 1\n2 2 1 0.5\n', { complex: 'real' });
  assert.deepEqual([bad.code, bad.line, bad.problem], ['bad_number', 3, 'diagonal entry (2, 2) of a Hermitian matrix has a nonzero imaginary part']);
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 x\n', { complex: 'real' }).problem, "imaginary part 'x' is not a number");
});

test('mtx: numbers are parsed exactly (correctly rounded) and strictly', () => {
  const cases = [
    '0.1', '-.8242248', '1.', '1e0', '-4.5E+01', '+2.5', '2.2250738585072011e-308', '2.2250738585072014e-308', '4.9e-324', '2.4703282292062328e-324',
    '1.7976931348623157e308', '9007199254740993', '0.30000000000000004', '123456789012345678901234567890', '1.00000000000000011102230246251565404236316680908203125',
    '7.2057594037927933e16', '-0', '-0.0e5', '000001.5000',
  ];
  const text = `%%MatrixMarket matrix coordinate real general\n1 ${cases.length} ${cases.length}\n${cases.map((c, k) => `1 ${k + 1} ${c}`).join('\n')}\n`;
  const v = parseMatrixMarket(text).matrix.values.data;
  cases.forEach((c, k) => assert.ok(Object.is(v[k], Number(c)), `${c}: ${v[k]} vs ${Number(c)}`));
  // Underflow reads as zero; overflow is an error.
  assert.ok(Object.is(parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 -1e-400\n').matrix.values.data[0], -0));
  const big = parseRejects('%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1e999\n');
  assert.deepEqual([big.code, big.line, big.problem], ['bad_number', 3, 'value 1e999 is too large for a double']);
  assert.ok(Object.is(parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 123e-99999999999999999999\n').matrix.values.data[0], 0));
  for (const t of ['0.00001e330', '-123456e99999999999', '1' + '0'.repeat(400)]) {
    assert.equal(parseRejects(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${t}\n`).problem, `value ${t.slice(0, 40)}${t.length > 40 ? '...' : ''} is too large for a double`);
  }
  // Found by the fuzz test: an out-of-range number followed by junk is not a number.
  for (const t of ['0x10', '1e', '1.5.2', '--1', '+-1', '1,5', 'e5', '.', '1d0', '1e5x', '1e-400x', '1e999e']) {
    const e = parseRejects(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${t}\n`);
    assert.deepEqual([e.code, e.problem], ['bad_number', `value '${t}' is not a number`], t);
  }
  // Integers: exact up to 2^53, then rejected.
  const ints = parseMatrixMarket('%%MatrixMarket matrix coordinate integer general\n1 3 3\n1 1 9007199254740992\n1 2 -9007199254740992\n1 3 +7\n').matrix.values.data;
  assert.deepEqual([...ints], [9007199254740992, -9007199254740992, 7]);
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 9007199254740993\n').problem, 'value 9007199254740993 is outside +-2^53, where integers stop being exact doubles');
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1e3\n').problem, "value '1e3' is not an integer (field integer)");
  // Indices: 1-based 32-bit integers.
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n3 3 1\n-1 1 1\n').problem, 'row index -1 is outside 1..3');
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n3 3 1\n1 99999999999999999999999 1\n').problem, 'column index 99999999999999999999999 is outside 1..3');
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1e0 1\n').problem, "column index '1e0' is not an integer");
});

test('mtx: NaN and Inf are rejected by default and read with nonFinite: "accept"', () => {
  const text = '%%MatrixMarket matrix coordinate real general\n1 5 5\n1 1 nan\n1 2 inf\n1 3 -Infinity\n1 4 NaN\n1 5 +INF\n';
  const e = parseRejects(text, { name: 'x.mtx' });
  assert.equal(e.message, "readMatrixMarket: x.mtx:3: value 'nan' is not finite (NaN and Inf are rejected unless the nonFinite option accepts them)");
  const v = parseMatrixMarket(text, { nonFinite: 'accept' }).matrix.values.data;
  assert.ok(Number.isNaN(v[0]) && Number.isNaN(v[3]));
  assert.deepEqual([v[1], v[2], v[4]], [Infinity, -Infinity, Infinity]);
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 nan\n', { nonFinite: 'accept' }).problem, "value 'nan' is not an integer (field integer)");
});

test('mtx: symmetric, skew-symmetric and pattern expansion; duplicates summed; explicit zeros kept', () => {
  // Lower and upper triangle entries are both mirrored; a repeated mirror position is summed.
  const s = parseMatrixMarket('%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n2 1 1\n1 2 10\n3 3 0\n3 1 -0\n');
  assert.deepEqual(denseOf(s.matrix), [[0, 11, -0], [11, 0, 0], [-0, 0, 0]]);
  assert.equal(s.matrix.nnz, 5, '(1,2) and (2,1) merged; explicit zeros (3,3), (3,1), (1,3) kept');
  assert.equal(s.header.duplicates, 2);
  const k = parseRejects('%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 2\n2 1 1\n2 2 0\n');
  assert.deepEqual([k.code, k.line, k.problem], ['bad_entry', 4, 'entry (2, 2) lies on the diagonal, which a skew-symmetric file does not store (it is zero)']);
  // Pattern duplicates stay 1.
  const p = parseMatrixMarket('%%MatrixMarket matrix coordinate pattern general\n2 2 3\n1 2\n1 2\n2 1\n');
  assert.deepEqual(denseOf(p.matrix), [[0, 1], [1, 0]]);
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 2 1\n').problem, 'entry has 3 fields, 2 required for field pattern (row column)');
  // Duplicates in a jumbled order are summed in file order, rows sorted.
  const d = parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 4 6\n1 4 1\n1 2 2\n2 1 3\n1 4 0.5\n1 1 -1\n1 2 -2\n');
  assert.deepEqual([...d.matrix.indptr], [0, 3, 4]);
  assert.deepEqual([...d.matrix.indices], [0, 1, 3, 0]);
  assert.deepEqual([...d.matrix.values.data], [-1, 0, 1.5, 3]);
});

test('mtx: layout: comments and blank lines anywhere after the banner, CRLF, tabs, BOM, no final newline', () => {
  const text = '\uFEFF%%matrixmarket MATRIX coordinate Real GENERAL\r\n%c1\r\n\r\n  \t\r\n% c2\r\n 2\t2 2 \r\n\r\n% mid\r\n1 1 1\r\n   \r\n%\r\n2\t2\t2';
  const { matrix, header } = parseMatrixMarket(text);
  assert.deepEqual(denseOf(matrix), [[1, 0], [0, 2]]);
  assert.deepEqual(header.comments, ['c1', ' c2']);
  assert.equal(header.lines, 12);
  // A trailing comment line after the last entry, and text after the entries count as extra entries.
  assert.equal(parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1\n% end\n\n').matrix.nnz, 1);
  // A vertical tab or form feed is not a separator.
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n1 1 1\n1\v1 1\n').code, 'bad_number');
  // Banner: more tokens than five, leading whitespace.
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general extra\n1 1 0\n').problem, "banner has 6 tokens, 5 required ('%%MatrixMarket matrix <format> <field> <symmetry>')");
  assert.equal(parseRejects(' %%MatrixMarket matrix coordinate real general\n1 1 0\n').code, 'bad_banner');
  assert.equal(parseRejects('\n').problem, "first line is empty, not a '%%MatrixMarket' banner");
  // 'double' only with allowDoubleField.
  const dbl = '%%MatrixMarket matrix coordinate double general\n1 1 1\n1 1 2.5\n';
  assert.equal(parseRejects(dbl).code, 'bad_banner');
  assert.equal(parseMatrixMarket(dbl, { allowDoubleField: true }).header.field, 'real');
});

test('mtx: limits: rows, line length, 32-bit sizes; options are validated', () => {
  const rows = parseRejects('%%MatrixMarket matrix coordinate real general\n200000000 1 0\n');
  assert.deepEqual([rows.code, rows.line, rows.problem], ['limit', 2, 'row count 200000000 exceeds the limit of 134217728 rows (raise maxRows to read this file)']);
  assert.equal(parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n1000000 2147483647 0\n', { maxRows: 1000000 }).matrix.indptr.length, 1000001);
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n5 5 1\n1 1 1\n', { maxRows: 4 }).code, 'limit');
  assert.equal(parseRejects('%%MatrixMarket matrix coordinate real general\n1 1 2147483648\n').problem, 'entry count 2147483648 does not fit in a 32-bit index (at most 2147483647)');
  // A line longer than 1 MiB is an error; a comment line of any length is skipped.
  // Whatever the chunk size (the outcome never depends on how the input is cut).
  const long = '1'.repeat(1 << 21);
  for (const chunkSize of [65536, 1 << 20, 1 << 22]) {
    const e = parseRejects(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${long}\n`, { chunkSize });
    assert.deepEqual([e.code, e.line, e.problem], ['limit', 3, 'line is longer than 1048576 bytes'], `chunks of ${chunkSize}`);
    const withComment = parseMatrixMarket(`%%MatrixMarket matrix coordinate real general\n%${long}\n1 1 1\n%${long}\n1 1 3\n`, { chunkSize });
    assert.equal(withComment.matrix.values.data[0], 3);
    assert.equal(withComment.header.lines, 5);
  }
  // A long comment line whose leading whitespace is cut by a chunk boundary (the
  // chunk ends after its first two spaces) is still a comment.
  const banner = '%%MatrixMarket matrix coordinate real general\n';
  const pad = `%${'c'.repeat((1 << 20) - 2 - banner.length - 2)}\n`; // banner + pad ends 2 bytes before 1 MiB
  const straddling = parseMatrixMarket(`${banner}${pad}    %${long}\n1 1 1\n1 1 3\n`, { chunkSize: 1 << 20 });
  assert.equal(straddling.matrix.values.data[0], 3);
  assert.equal(straddling.header.lines, 5);
  const blank = parseRejects(`${banner}${pad}  ${' '.repeat(1 << 20)}\n1 1 1\n1 1 3\n`, { chunkSize: 1 << 20 });
  assert.deepEqual([blank.line, blank.problem], [3, 'line is longer than 1048576 bytes'], 'a blank line over 1 MiB');
  const edge = 'x'.repeat((1 << 20) - 4); // '1 1 ' + edge is 1 MiB
  assert.equal(parseRejects(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${edge}\n`).problem, `value '${'x'.repeat(40)}...' is not a number`, 'a line of exactly 1 MiB is read');
  assert.equal(parseRejects(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${edge}x\n`).problem, 'line is longer than 1048576 bytes');
  assert.throws(() => parseMatrixMarket('', { complex: 'imag' } as never), /parseMatrixMarket: expected 'reject' or 'real' for complex but received string "imag"/);
  assert.throws(() => parseMatrixMarket('', { maxRows: -1 }), /expected an integer in 0..2147483647 for maxRows/);
});

test('mtx: float32 values are the float64 parse rounded; requiresGrad makes a leaf', () => {
  const text = '%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 0.1\n2 1 1e-50\n2 2 3.4028235677973366e38\n';
  const { matrix } = parseMatrixMarket(text, { dtype: 'float32', requiresGrad: true });
  assert.equal(matrix.dtype, 'float32');
  assert.deepEqual([...matrix.values.data], [Math.fround(0.1), 0, Math.fround(3.4028235677973366e38)]);
  assert.equal(matrix.requiresGrad, true);
});

test('mtx: the parser API: feed bytes in any chunking; spent after an error; io errors name the file', async () => {
  const p = new MatrixMarketParser({ name: 'chunks.mtx' });
  for (const c of ['%%Matrix', 'Market matrix coord', 'inate real general\n2 2', ' 1\n2 ', '1 -7.5']) p.feed(c);
  assert.deepEqual(denseOf(p.finish().matrix), [[0, 0], [-7.5, 0]]);
  assert.throws(() => p.feed('x'), /readMatrixMarket: chunks.mtx: feed\(\) after finish\(\) or an error/);
  const q = new MatrixMarketParser({ name: 'bad.mtx' });
  q.feed('%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1');
  assert.throws(() => q.feed(' 1\n'), (e: unknown) => e instanceof MatrixMarketError && e.message === 'readMatrixMarket: bad.mtx:3: row index 3 is outside 1..2');
  assert.throws(() => q.finish(), /readMatrixMarket: bad.mtx: finish\(\) after finish\(\) or an error/);
  const missing = join(tmp, 'does-not-exist.mtx');
  const e = await rejects(missing);
  assert.equal(e.code, 'io');
  assert.equal(e.line, null);
  assert.match(e.message, /^readMatrixMarket: .*does-not-exist\.mtx: cannot open the file \(ENOENT/);
  await assert.rejects(readMatrixMarket(42 as never), /readMatrixMarket: expected a path or a readable stream for source but received number 42/);
});

test('mtx: the writer: shortest round-trip values, -0, non-finite, checks before writing', async () => {
  const A = CsrMatrix.fromCsr([0, 2, 4, 5], [0, 2, 1, 2, 0], [0.1, -0, 1e300, 5e-324, 1 / 3], [3, 3]);
  assert.ok(Object.is(A.values.data[1], -0));
  const out = join(tmp, 'w.mtx');
  const { bytes } = await writeMatrixMarket(out, A);
  const text = readFileSync(out, 'utf8');
  assert.equal(bytes, Buffer.byteLength(text));
  assert.equal(text, '%%MatrixMarket matrix coordinate real general\n3 3 5\n1 1 0.1\n1 3 -0\n2 2 1e+300\n2 3 5e-324\n3 1 0.3333333333333333\n');
  assertIdentical((await readMatrixMarket(out)).matrix, A, 'values');
  const N = CsrMatrix.fromCoo([0, 0, 0], [0, 1, 2], [NaN, Infinity, -Infinity], [1, 3]);
  await writeMatrixMarket(out, N);
  assert.ok(readFileSync(out, 'utf8').endsWith('1 1 nan\n1 2 inf\n1 3 -inf\n'));
  assertIdentical((await readMatrixMarket(out, { nonFinite: 'accept' })).matrix, N, 'non-finite');
  const f32 = CsrMatrix.fromCoo([0], [0], [0.1], [1, 1], { dtype: 'float32' });
  await writeMatrixMarket(out, f32);
  assertIdentical((await readMatrixMarket(out, { dtype: 'float32' })).matrix, f32, 'float32');
  await assert.rejects(writeMatrixMarket(out, A, { field: 'integer' }), /writeMatrixMarket: field 'integer' needs integer values but entry 0 is 0.1/);
  await assert.rejects(writeMatrixMarket(out, A, { symmetry: 'symmetric' }), /writeMatrixMarket: the matrix is not symmetric/);
  const S = CsrMatrix.fromDense([[0, 2], [2, 0]]);
  await assert.rejects(writeMatrixMarket(out, S, { symmetry: 'skew-symmetric' }), /writeMatrixMarket: the matrix is not skew-symmetric/);
  const K = CsrMatrix.fromDense([[0, 2], [-2, 0]], { keepZeros: true });
  await assert.rejects(writeMatrixMarket(out, K, { symmetry: 'skew-symmetric' }), /writeMatrixMarket: a skew-symmetric file cannot store the diagonal, but entry \(1, 1\) is stored/);
  await assert.rejects(writeMatrixMarket(out, CsrMatrix.fromDense([[1, 2, 3]]), { symmetry: 'symmetric' }), /writeMatrixMarket: a symmetric file needs a square matrix but it is 1 x 3/);
  await assert.rejects(writeMatrixMarket(out, {} as never), /writeMatrixMarket: expected a CsrMatrix for matrix but received Object object/);
  await assert.rejects(writeMatrixMarket(join(tmp, 'no', 'such', 'dir.mtx'), A), /writeMatrixMarket: cannot write .*dir\.mtx \(ENOENT/);
  // Empty and zero-size matrices.
  for (const shape of [[0, 0], [0, 5], [4, 0], [3, 3]] as const) {
    const E = CsrMatrix.fromCoo([], [], [], shape);
    await writeMatrixMarket(out, E);
    assertIdentical((await readMatrixMarket(out)).matrix, E, `empty ${shape}`);
  }
});
