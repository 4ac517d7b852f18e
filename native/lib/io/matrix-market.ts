// MatrixMarket files in and out.
//
// readMatrixMarket(pathOrStream, options) → { matrix: CsrMatrix, header }
//   Streams the file in chunks (never the whole file as one string) through the
//   native parser (native/core/mtx.h); `.mtx.gz` (or any input that starts with
//   the gzip magic bytes) goes through zlib's gunzip first.
// writeMatrixMarket(pathOrStream, matrix, options)
//   Coordinate format, doubles printed in their shortest round-trip form, so
//   write → read gives back the identical matrix.
//
// What is read (strict; NIST "The Matrix Market Exchange Formats", 1996):
//   banner words in any case; object 'matrix' only; formats coordinate and array
//   (column-major, every value stored, zeros included); fields real, integer,
//   pattern (values 1, header.pattern true) and complex (rejected unless
//   complex: 'real' keeps the real part); symmetries general, symmetric,
//   skew-symmetric, hermitian, expanded to the full matrix (entries given in the
//   upper triangle are mirrored too; a skew-symmetric file may not store its
//   diagonal). Comments and blank lines anywhere after the banner, CRLF, tabs, a
//   last line without newline. Duplicate entries are summed (a pattern entry
//   stays 1); explicit zeros are kept as stored entries.
// What is rejected: everything else, with a MatrixMarketError naming the file,
//   the line and the problem ("readMatrixMarket: FILE:LINE: problem") and a
//   `code`. NaN/Inf values are rejected unless nonFinite: 'accept'; values that
//   overflow a double are always rejected (ones that underflow read as 0 or a
//   subnormal, as strtod does); the field word 'double' (not in the
//   specification) unless allowDoubleField.
// Memory follows the data, not the header: a header that claims 2^28 entries over
// a three-line body costs nothing. Rows are capped by maxRows (default 2^27),
// because CSR needs rows + 1 row pointers however few entries follow.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { kernel, type FloatArray } from '../addon.js';
import { CsrMatrix, CsrPattern } from '../csr.js';
import { type DType, isDType } from '../dtype.js';
import { describe, expected, fail, SparseAdError } from '../errors.js';
import { transposeArrays } from '../stats.js';
import { Tensor } from '../tensor.js';

const OP = 'readMatrixMarket';

export type MatrixMarketFormat = 'coordinate' | 'array';
export type MatrixMarketField = 'real' | 'integer' | 'complex' | 'pattern';
export type MatrixMarketSymmetry = 'general' | 'symmetric' | 'skew-symmetric' | 'hermitian';

/**
 * Error categories. The first seven are those of shared/data/matrices/malformed;
 * 'unsupported' is a valid file the engine does not read by default (complex),
 * 'limit' a file beyond a configured or 32-bit limit, 'io' a file that cannot be
 * opened, read or gunzipped.
 */
export type MatrixMarketErrorCode =
  | 'bad_banner'
  | 'bad_size'
  | 'index_out_of_range'
  | 'nnz_mismatch'
  | 'unexpected_eof'
  | 'bad_number'
  | 'bad_entry'
  | 'unsupported'
  | 'limit'
  | 'io';

/** A file the reader rejects: `${op}: ${file}:${line}: ${problem}` (no line for 'io' errors). */
export class MatrixMarketError extends SparseAdError {
  readonly code: MatrixMarketErrorCode;
  readonly file: string;
  readonly line: number | null;
  readonly problem: string;
  constructor(code: MatrixMarketErrorCode, file: string, line: number | null, problem: string) {
    super(`${OP}: ${file}${line === null ? '' : `:${line}`}: ${problem}`);
    this.name = 'MatrixMarketError';
    this.code = code;
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

export interface ReadMatrixMarketOptions {
  /** Values dtype (default 'float64'; parsing is exact in float64 either way). */
  dtype?: DType;
  requiresGrad?: boolean;
  /** Complex files: 'reject' (default: the engine is real-valued) or 'real' (keep the real part). */
  complex?: 'reject' | 'real';
  /** NaN / Inf values ('nan', 'inf', 'infinity' in any case, signed): 'reject' (default) or 'accept'. */
  nonFinite?: 'reject' | 'accept';
  /** Read the non-standard field word 'double' as 'real' (default false: rejected). */
  allowDoubleField?: boolean;
  /** Largest row count accepted (default 2^27 = 134,217,728 rows, 512 MiB of row pointers). */
  maxRows?: number;
  /** The name used in error messages (default: the path, or '<stream>'). */
  name?: string;
  /** Gunzip: 'auto' (default: by a .gz name or the gzip magic bytes), true or false. */
  gzip?: boolean | 'auto';
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

export interface MatrixMarketHeader {
  /** Where the matrix came from (the path, the name option or '<stream>'). */
  source: string;
  format: MatrixMarketFormat;
  /** The field of the file ('complex' files are read only with complex: 'real'). */
  field: MatrixMarketField;
  symmetry: MatrixMarketSymmetry;
  rows: number;
  cols: number;
  /** Entries (coordinate) or values (array) the file holds, as its size line declares. */
  entries: number;
  /** Stored entries after mirroring the symmetric part, before duplicates were summed. */
  expandedEntries: number;
  /** Entries that repeated a position and were summed into it (expandedEntries - nnz). */
  duplicates: number;
  /** A pattern file: every value is 1 and carries no information. */
  pattern: boolean;
  /** 'real' when a complex file was read with complex: 'real'. */
  complexPart: 'real' | null;
  /** Comment lines before the size line, without their '%' (at most 1000 lines / 64 KiB). */
  comments: string[];
  commentsTruncated: boolean;
  /** Lines in the file. */
  lines: number;
}

export interface MatrixMarketResult {
  matrix: CsrMatrix;
  header: MatrixMarketHeader;
}

interface NativeHeader {
  format: MatrixMarketFormat;
  field: MatrixMarketField;
  symmetry: MatrixMarketSymmetry;
  rows: number;
  cols: number;
  entries: number;
  expanded: number;
  lines: number;
  comments: string[];
  commentsTruncated: boolean;
}
interface NativeParser {
  feed(chunk: Uint8Array): void;
  finish(): NativeHeader;
  build(dtype: DType): { indptr: Int32Array; indices: Int32Array; values: FloatArray; nnz: number };
  release(): void;
}
type NativeParserClass = new (opts: { complexReal: boolean; allowNonFinite: boolean; allowDoubleField: boolean; maxRows: number }) => NativeParser;

const DEFAULT_MAX_ROWS = 2 ** 27;
const DEFAULT_CHUNK = 1 << 20;

function checkReadOptions(op: string, options: unknown): ReadMatrixMarketOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') expected(op, 'an options object', 'options', options);
  const o = options as ReadMatrixMarketOptions;
  if (o.dtype !== undefined && !isDType(o.dtype)) expected(op, "'float64' or 'float32'", 'dtype', o.dtype);
  if (o.complex !== undefined && o.complex !== 'reject' && o.complex !== 'real') expected(op, "'reject' or 'real'", 'complex', o.complex);
  if (o.nonFinite !== undefined && o.nonFinite !== 'reject' && o.nonFinite !== 'accept') expected(op, "'reject' or 'accept'", 'nonFinite', o.nonFinite);
  if (o.maxRows !== undefined && (!Number.isInteger(o.maxRows) || o.maxRows < 0 || o.maxRows > 2147483647)) {
    expected(op, 'an integer in 0..2147483647', 'maxRows', o.maxRows);
  }
  if (o.chunkSize !== undefined && (!Number.isInteger(o.chunkSize) || o.chunkSize < 1 || o.chunkSize > 1 << 30)) {
    expected(op, 'an integer in 1..2^30', 'chunkSize', o.chunkSize);
  }
  if (o.gzip !== undefined && typeof o.gzip !== 'boolean' && o.gzip !== 'auto') expected(op, "true, false or 'auto'", 'gzip', o.gzip);
  if (o.name !== undefined && typeof o.name !== 'string') expected(op, 'a string', 'name', o.name);
  return o;
}

/**
 * The streaming parser itself: feed() the bytes of a MatrixMarket file in chunks
 * of any size (line numbers are tracked across chunks), then finish() for the
 * matrix. Throws MatrixMarketError at the first problem (the parser is then spent).
 */
export class MatrixMarketParser {
  readonly #native: NativeParser;
  readonly #options: ReadMatrixMarketOptions;
  readonly #name: string;
  #done = false;

  constructor(options: ReadMatrixMarketOptions = {}) {
    this.#options = checkReadOptions(OP, options);
    this.#name = this.#options.name ?? '<input>';
    const Native = kernel<NativeParserClass>('MtxParser');
    this.#native = new Native({
      complexReal: this.#options.complex === 'real',
      allowNonFinite: this.#options.nonFinite === 'accept',
      allowDoubleField: this.#options.allowDoubleField === true,
      maxRows: this.#options.maxRows ?? DEFAULT_MAX_ROWS,
    });
  }

  /** The name errors carry. */
  get name(): string {
    return this.#name;
  }

  feed(chunk: Uint8Array | string): void {
    if (this.#done) fail(OP, `${this.#name}: feed() after finish() or an error`);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!(bytes instanceof Uint8Array)) expected(OP, 'a Uint8Array or string chunk', 'chunk', chunk);
    this.#call(() => this.#native.feed(bytes));
  }

  finish(): MatrixMarketResult {
    if (this.#done) fail(OP, `${this.#name}: finish() after finish() or an error`);
    const h = this.#call(() => this.#native.finish());
    const dtype = this.#options.dtype ?? 'float64';
    let built: ReturnType<NativeParser['build']>;
    try {
      built = this.#call(() => this.#native.build(dtype));
    } catch (e) {
      if (e instanceof RangeError) throw new MatrixMarketError('limit', this.#name, null, `cannot allocate the CSR arrays for ${h.rows} rows and ${h.expanded} entries (${e.message})`);
      throw e;
    }
    this.#done = true;
    let { indices, values } = built;
    if (built.nnz < indices.length) {
      // Duplicates were summed: keep exact-length arrays, not views of larger buffers.
      indices = indices.slice(0, built.nnz);
      values = values.slice(0, built.nnz);
    }
    const pattern = new CsrPattern(h.rows, h.cols, built.indptr, indices);
    const vals = new Tensor(values, [built.nnz]);
    if (this.#options.requiresGrad) vals.requiresGrad = true;
    const header: MatrixMarketHeader = {
      source: this.#name,
      format: h.format,
      field: h.field,
      symmetry: h.symmetry,
      rows: h.rows,
      cols: h.cols,
      entries: h.entries,
      expandedEntries: h.expanded,
      duplicates: h.expanded - built.nnz,
      pattern: h.field === 'pattern',
      complexPart: h.field === 'complex' ? 'real' : null,
      comments: h.comments,
      commentsTruncated: h.commentsTruncated,
      lines: h.lines,
    };
    return { matrix: new CsrMatrix(pattern, vals), header };
  }

  /** Frees what was parsed so far (after the caller gives up on the input). */
  abort(): void {
    this.#done = true;
    this.#native.release();
  }

  #call<R>(fn: () => R): R {
    try {
      return fn();
    } catch (e) {
      const err = e as { mtxCode?: MatrixMarketErrorCode; mtxLine?: number; message?: string };
      if (err && typeof err.mtxCode === 'string') {
        this.#done = true;
        this.#native.release();
        throw new MatrixMarketError(err.mtxCode, this.#name, err.mtxLine ?? null, err.message ?? 'parse error');
      }
      throw e;
    }
  }
}

/** Parses a MatrixMarket file already in memory (bytes or text), feeding it to the parser in chunks. */
export function parseMatrixMarket(data: Uint8Array | string, options: ReadMatrixMarketOptions = {}): MatrixMarketResult {
  const opts = checkReadOptions('parseMatrixMarket', options);
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
  else if (data instanceof Uint8Array) bytes = data;
  else expected('parseMatrixMarket', 'a Uint8Array or string', 'data', data);
  const parser = new MatrixMarketParser(opts);
  const step = opts.chunkSize ?? DEFAULT_CHUNK;
  for (let at = 0; at < bytes.length; at += step) parser.feed(bytes.subarray(at, Math.min(bytes.length, at + step)));
  return parser.finish();
}

function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function ioError(name: string, what: string, e: unknown): MatrixMarketError {
  const msg = e instanceof Error ? e.message : String(e);
  return new MatrixMarketError('io', name, null, `${what} (${msg})`);
}

/** Feeds gunzipped chunks of `source` (whose first chunk is `first`) to the parser. */
async function feedGunzipped(parser: MatrixMarketParser, first: Uint8Array | null, source: AsyncIterable<Uint8Array | string>, chunkSize: number): Promise<void> {
  const gunzip = createGunzip({ chunkSize: Math.max(64 * 1024, chunkSize) });
  const input = Readable.from(
    (async function* () {
      if (first) yield first;
      for await (const c of source) yield typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    })(),
    { objectMode: false },
  );
  const done = pipeline(input, gunzip).catch(() => undefined); // errors surface through the iteration below
  try {
    for await (const c of gunzip) parser.feed(c as Buffer);
  } catch (e) {
    if (e instanceof MatrixMarketError) throw e;
    throw ioError(parser.name, 'cannot gunzip the input', e);
  } finally {
    gunzip.destroy();
    input.destroy();
    await done;
  }
}

/**
 * Reads a MatrixMarket file (a path, or a readable stream / async iterable of
 * byte chunks) into a CsrMatrix, streaming. See the top of this file for what is
 * accepted and rejected; errors are MatrixMarketError.
 */
export async function readMatrixMarket(
  source: string | URL | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  options: ReadMatrixMarketOptions = {},
): Promise<MatrixMarketResult> {
  const opts = checkReadOptions(OP, options);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const isPath = typeof source === 'string' || source instanceof URL;
  if (!isPath && (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source))) {
    expected(OP, 'a path or a readable stream', 'source', source);
  }
  const name = opts.name ?? (isPath ? (source instanceof URL ? source.pathname : source) : '<stream>');
  const parser = new MatrixMarketParser({ ...opts, name });
  try {
    if (isPath) await readPath(parser, source, opts, chunkSize);
    else await readStream(parser, source as AsyncIterable<Uint8Array | string>, opts, chunkSize);
    return parser.finish();
  } catch (e) {
    parser.abort();
    throw e;
  }
}

async function readPath(parser: MatrixMarketParser, path: string | URL, opts: ReadMatrixMarketOptions, chunkSize: number): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(parser.name, 'cannot open the file', e);
  }
  try {
    // One buffer, reused for every read: the parser copies only an unfinished last line.
    const buf = Buffer.allocUnsafe(chunkSize);
    let first = true;
    for (;;) {
      let n: number;
      try {
        n = (await fh.read(buf, 0, chunkSize, null)).bytesRead;
      } catch (e) {
        throw ioError(parser.name, 'cannot read the file', e);
      }
      if (n === 0) return;
      const chunk = buf.subarray(0, n);
      if (first) {
        first = false;
        const gz = opts.gzip === true || ((opts.gzip ?? 'auto') === 'auto' && (String(path).endsWith('.gz') || isGzipMagic(chunk)));
        if (gz) {
          await feedGunzipped(parser, null, createReadStream(path, { highWaterMark: chunkSize }), chunkSize);
          return;
        }
      }
      parser.feed(chunk);
    }
  } finally {
    await fh.close();
  }
}

async function readStream(parser: MatrixMarketParser, source: AsyncIterable<Uint8Array | string>, opts: ReadMatrixMarketOptions, chunkSize: number): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array | string>;
  try {
    first = await it.next();
  } catch (e) {
    throw ioError(parser.name, 'cannot read the stream', e);
  }
  if (first.done) return;
  const head = typeof first.value === 'string' ? Buffer.from(first.value, 'utf8') : first.value;
  const rest: AsyncIterable<Uint8Array | string> = { [Symbol.asyncIterator]: () => it };
  if (opts.gzip === true || ((opts.gzip ?? 'auto') === 'auto' && isGzipMagic(head))) {
    await feedGunzipped(parser, head, rest, chunkSize);
    return;
  }
  parser.feed(head);
  try {
    for await (const c of rest) parser.feed(c);
  } catch (e) {
    if (e instanceof SparseAdError) throw e;
    throw ioError(parser.name, 'cannot read the stream', e);
  }
}

// ---- writing ------------------------------------------------------------------

export interface WriteMatrixMarketOptions {
  /** 'real' (default), 'integer' (every value must be an integer) or 'pattern' (no values written). */
  field?: 'real' | 'integer' | 'pattern';
  /**
   * 'general' (default) writes every stored entry. 'symmetric' writes the lower
   * triangle and needs A == Aᵀ exactly (pattern and values); 'skew-symmetric' the
   * strict lower triangle and needs A == -Aᵀ with no stored diagonal.
   */
  symmetry?: 'general' | 'symmetric' | 'skew-symmetric';
  /** Comment lines written after the banner (each gets a leading '%'). */
  comment?: string | string[];
  /** Gzip the output (default: when the path ends in .gz). A caller's stream is never ended. */
  gzip?: boolean;
}

/** A value in its shortest round-trip form ('-0', 'nan', 'inf' and '-inf' included). */
export function formatMatrixMarketValue(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/**
 * Writes a CsrMatrix as a MatrixMarket coordinate file (a path, gzipped when it
 * ends in .gz, or a writable stream), in chunks. Returns the bytes written
 * (before compression).
 */
export async function writeMatrixMarket(target: string | URL | Writable, matrix: CsrMatrix, options: WriteMatrixMarketOptions = {}): Promise<{ bytes: number }> {
  const op = 'writeMatrixMarket';
  if (!(matrix instanceof CsrMatrix)) expected(op, 'a CsrMatrix', 'matrix', matrix);
  if (matrix.device !== 'cpu') fail(op, `expected a CPU matrix but received one on ${matrix.device}`);
  if (options === null || typeof options !== 'object') expected(op, 'an options object', 'options', options);
  const field = options.field ?? 'real';
  const symmetry = options.symmetry ?? 'general';
  if (field !== 'real' && field !== 'integer' && field !== 'pattern') expected(op, "'real', 'integer' or 'pattern'", 'field', field);
  if (symmetry !== 'general' && symmetry !== 'symmetric' && symmetry !== 'skew-symmetric') {
    expected(op, "'general', 'symmetric' or 'skew-symmetric'", 'symmetry', symmetry);
  }
  if (field === 'pattern' && symmetry === 'skew-symmetric') fail(op, "symmetry 'skew-symmetric' is not allowed with field 'pattern'");
  const isPath = typeof target === 'string' || target instanceof URL;
  if (!isPath && (target === null || typeof target !== 'object' || typeof (target as Writable).write !== 'function')) {
    expected(op, 'a path or a writable stream', 'target', target);
  }
  const comments = options.comment === undefined ? [] : (Array.isArray(options.comment) ? options.comment : [options.comment]).flatMap((c) => String(c).split(/\r?\n/));

  const { rows, cols } = matrix;
  const { indptr, indices } = matrix.pattern.raw;
  const values = matrix.values.data;
  const nnz = matrix.nnz;

  // Check the promised structure before a byte is written.
  if (field === 'integer') {
    for (let p = 0; p < nnz; p++) {
      const v = values[p]!;
      if (!Number.isInteger(v) || Math.abs(v) > 2 ** 53) fail(op, `field 'integer' needs integer values but entry ${p} is ${v}`);
    }
  }
  let keep: (i: number, j: number) => boolean = () => true;
  if (symmetry !== 'general') {
    if (rows !== cols) fail(op, `a ${symmetry} file needs a square matrix but it is ${rows} x ${cols}`);
    const T = transposeArrays(rows, cols, indptr, indices, values);
    const sign = symmetry === 'skew-symmetric' ? -1 : 1;
    if (symmetry === 'skew-symmetric') {
      for (let i = 0; i < rows; i++) {
        for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
          if (indices[p] === i) fail(op, `a skew-symmetric file cannot store the diagonal, but entry (${i + 1}, ${i + 1}) is stored`);
        }
      }
    }
    for (let i = 0; i <= rows; i++) {
      if (T.indptr[i] !== indptr[i]) fail(op, `the matrix is not ${symmetry}: row ${i} and column ${i} hold different numbers of entries`);
    }
    for (let p = 0; p < nnz; p++) {
      if (T.indices[p] !== indices[p]) fail(op, `the matrix is not ${symmetry}: its pattern differs from its transpose's`);
      const same = field === 'pattern' || Object.is(values[p], sign * T.values[p]!) || (Number.isNaN(values[p]) && Number.isNaN(T.values[p]));
      if (!same) fail(op, `the matrix is not ${symmetry}: values differ from the transpose's at stored entry ${p}`);
    }
    keep = symmetry === 'skew-symmetric' ? (i, j) => j < i : (i, j) => j <= i;
  }
  let entries = 0;
  if (symmetry === 'general') entries = nnz;
  else for (let i = 0; i < rows; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (keep(i, indices[p]!)) entries++;

  let out: Writable;
  let sink: Writable | null = null;
  const gzip = options.gzip ?? (isPath && String(target instanceof URL ? target.pathname : target).endsWith('.gz'));
  if (isPath) {
    sink = createWriteStream(target as string | URL);
  } else {
    sink = target as Writable;
  }
  let gz: ReturnType<typeof createGzip> | null = null;
  let piped: Promise<void> | null = null;
  if (gzip) {
    gz = createGzip();
    if (isPath) {
      piped = pipeline(gz, sink);
    } else {
      // A caller's stream stays open (as without gzip): wait for the compressed bytes to be handed over.
      gz.pipe(sink, { end: false });
      piped = finished(gz);
    }
    out = gz;
  } else {
    out = sink;
  }
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  try {
    let head = `%%MatrixMarket matrix coordinate ${field} ${symmetry}\n`;
    for (const c of comments) head += `%${c}\n`;
    head += `${rows} ${cols} ${entries}\n`;
    await write(head);
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const r = `${i + 1} `;
      for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
        const j = indices[p]!;
        if (!keep(i, j)) continue;
        lines.push(field === 'pattern' ? `${r}${j + 1}\n` : `${r}${j + 1} ${formatMatrixMarketValue(values[p]!)}\n`);
        if (lines.length === 16384) {
          await write(lines.join(''));
          lines.length = 0;
        }
      }
    }
    if (lines.length > 0) await write(lines.join(''));
    if (gz) {
      gz.end();
      await piped;
    } else if (isPath) {
      sink.end();
      await finished(sink);
    }
  } catch (e) {
    if (isPath) sink.destroy();
    throw new SparseAdError(`${op}: cannot write ${isPath ? String(target) : 'the stream'} (${e instanceof Error ? e.message : describe(e)})`);
  }
  return { bytes };
}
