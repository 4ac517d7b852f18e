// Graph datasets for node classification (GCN): a graph folder (adjacency.mtx,
// features.mtx, labels.txt, split.json, optional self_loops.txt — the layout of
// ../shared/data/citeseer) and the Planetoid raw pickles
// (ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}), read or fetched into a
// cache. Both give the same Graph. Every problem with a file is reported with
// the file's path.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CsrMatrix } from '../../native/lib/index.js';
import { readMatrixFile } from './matrix-file.js';
import { intEntries, isCsr, isNdArray, type NdArray, type PyCsr, PyDict, readPickle } from './pickle.js';

export interface GraphSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

export interface Graph {
  name: string;
  nodes: number;
  /** Symmetric adjacency without self-loops (float64; value 1 per edge for unweighted graphs). */
  adjacency: CsrMatrix;
  /** Nodes that list themselves as a neighbour in the raw data (Kipf keeps these on the diagonal). */
  selfLoops: Int32Array;
  /** nodes × features, as stored (float64; not normalised). */
  features: CsrMatrix;
  /** Class of each node, -1 where a node has no label. */
  labels: Int32Array;
  classes: number;
  split: GraphSplit;
}

export class GraphDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphDataError';
  }
}

function bad(file: string, message: string): never {
  throw new GraphDataError(`${file}: ${message}`);
}

// ---------------------------------------------------------------------------
// Graph folder

const FOLDER_FILES = ['adjacency.mtx', 'features.mtx', 'labels.txt', 'split.json'];

/** Loads a graph folder (adjacency.mtx, features.mtx, labels.txt, split.json, optional self_loops.txt). */
export async function loadGraphFolder(dir: string, name = basename(resolve(dir))): Promise<Graph> {
  if (!existsSync(dir)) bad(dir, 'graph folder not found');
  for (const f of FOLDER_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) bad(p, `missing (a graph folder holds ${FOLDER_FILES.join(', ')})`);
  }
  const adjPath = join(dir, 'adjacency.mtx');
  const raw = await readMatrixFile(adjPath);
  if (raw.rows !== raw.cols) bad(adjPath, `an adjacency matrix must be square but this one is ${raw.rows}×${raw.cols}`);
  const n = raw.rows;
  const { adjacency, diagonal } = splitDiagonal(raw);
  if (!isSymmetric(adjacency)) bad(adjPath, 'the adjacency matrix is not symmetric (an undirected graph is expected)');

  const featPath = join(dir, 'features.mtx');
  const features = await readMatrixFile(featPath);
  if (features.rows !== n) bad(featPath, `has ${features.rows} rows but adjacency.mtx has ${n} nodes`);

  const labelPath = join(dir, 'labels.txt');
  const labels = parseLabels(labelPath, await readFile(labelPath, 'utf8'), n);
  const classes = countClasses(labels);

  const splitPath = join(dir, 'split.json');
  const split = parseSplit(splitPath, await readFile(splitPath, 'utf8'), labels);

  const loopPath = join(dir, 'self_loops.txt');
  let selfLoops = diagonal;
  if (existsSync(loopPath)) {
    const listed = parseIdList(loopPath, await readFile(loopPath, 'utf8'), n);
    selfLoops = Int32Array.from(new Set([...diagonal, ...listed])).sort();
  }
  return { name, nodes: n, adjacency, selfLoops, features, labels, classes, split };
}

/** Moves diagonal entries out of an adjacency matrix (they become self-loops). */
function splitDiagonal(A: CsrMatrix): { adjacency: CsrMatrix; diagonal: Int32Array } {
  const { indptr, indices } = A.pattern.raw;
  const vals = A.values.data;
  const rows: number[] = [];
  const cols: number[] = [];
  const v: number[] = [];
  const diag: number[] = [];
  for (let i = 0; i < A.rows; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = indices[p]!;
      if (i === j) {
        diag.push(i);
      } else {
        rows.push(i);
        cols.push(j);
        v.push(vals[p]!);
      }
    }
  }
  if (diag.length === 0) return { adjacency: A, diagonal: new Int32Array(0) };
  return { adjacency: CsrMatrix.fromCoo(rows, cols, v, [A.rows, A.cols]), diagonal: Int32Array.from(diag) };
}

function isSymmetric(A: CsrMatrix): boolean {
  const { indptr, indices } = A.pattern.raw;
  const v = A.values.data;
  const find = (i: number, j: number): number => {
    let lo = indptr[i]!;
    let hi = indptr[i + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = indices[mid]!;
      if (c === j) return mid;
      if (c < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  for (let i = 0; i < A.rows; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const q = find(indices[p]!, i);
      if (q < 0 || v[q] !== v[p]) return false;
    }
  }
  return true;
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function parseLabels(file: string, text: string, n: number): Int32Array {
  const ls = lines(text);
  if (ls.length !== n) bad(file, `has ${ls.length} lines but the graph has ${n} nodes (one label per node, -1 for none)`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = ls[i]!.trim();
    if (!/^-?\d+$/.test(s) || Number(s) < -1 || Number(s) > 1_000_000) bad(file, `line ${i + 1}: expected a class number ≥ 0 or -1 but found ${JSON.stringify(ls[i])}`);
    out[i] = Number(s);
  }
  return out;
}

function parseIdList(file: string, text: string, n: number): Int32Array {
  const ids: number[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const s = ls[i]!.trim();
    if (s === '') continue;
    if (!/^\d+$/.test(s) || Number(s) >= n) bad(file, `line ${i + 1}: expected a node id in 0..${n - 1} but found ${JSON.stringify(ls[i])}`);
    ids.push(Number(s));
  }
  return Int32Array.from(ids);
}

function countClasses(labels: Int32Array): number {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  return max + 1;
}

function parseSplit(file: string, text: string, labels: Int32Array): GraphSplit {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    bad(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad(file, 'expected an object {"train": [...], "val": [...], "test": [...]}');
  const o = json as Record<string, unknown>;
  const seen = new Map<number, string>();
  const part = (key: 'train' | 'val' | 'test'): Int32Array => {
    const ids = o[key];
    if (!Array.isArray(ids)) bad(file, `"${key}" must be an array of node ids`);
    const out = new Int32Array(ids.length);
    ids.forEach((id, k) => {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= labels.length) {
        bad(file, `${key}[${k}] = ${JSON.stringify(id)} is not a node id (the graph has ${labels.length} nodes)`);
      }
      if (labels[id]! < 0) bad(file, `${key} node ${id} has no label (-1 in labels.txt)`);
      const other = seen.get(id);
      if (other !== undefined) bad(file, `node ${id} is in both "${other}" and "${key}"`);
      seen.set(id, key);
      out[k] = id;
    });
    return out;
  };
  return { train: part('train'), val: part('val'), test: part('test') };
}

// ---------------------------------------------------------------------------
// Planetoid raw files

export const PLANETOID_PARTS = ['x', 'y', 'tx', 'ty', 'allx', 'ally', 'graph', 'test.index'] as const;

export interface PlanetoidOptions {
  /** The dataset name: the <name> in ind.<name>.x (e.g. 'citeseer'). */
  name: string;
  /** A folder holding the raw files. */
  dir?: string;
  /** Base URL to fetch missing raw files from (`${url}/ind.<name>.x`, …). */
  url?: string;
  /** Where fetched files are kept (default ~/.cache/sparse-ad-lab/planetoid/<name>). */
  cache?: string;
  /** Called once per file actually downloaded. */
  onFetch?: (file: string, bytes: number) => void;
}

export function defaultPlanetoidCache(name: string): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'sparse-ad-lab', 'planetoid', name);
}

/**
 * Makes sure the raw files are on disk and returns their folder: `dir` when it
 * holds all of them, else the cache, fetching what is missing from `url`.
 */
export async function ensurePlanetoidFiles(opts: PlanetoidOptions): Promise<string> {
  const files = PLANETOID_PARTS.map((p) => `ind.${opts.name}.${p}`);
  if (opts.dir && files.every((f) => existsSync(join(opts.dir!, f)))) return opts.dir;
  if (!opts.url) {
    const where = opts.dir ?? '(no folder given)';
    const missing = opts.dir ? files.filter((f) => !existsSync(join(opts.dir!, f))) : files;
    bad(opts.dir ? join(opts.dir, missing[0]!) : where, `missing${missing.length > 1 ? ` (with ${missing.length - 1} more of ${files.join(', ')})` : ''}, and no url to fetch it from`);
  }
  const cache = opts.cache ?? defaultPlanetoidCache(opts.name);
  await mkdir(cache, { recursive: true });
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  for (const f of files) {
    const target = join(cache, f);
    if (existsSync(target)) continue;
    const url = new URL(f, base).toString();
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      bad(url, `fetch failed (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`);
    }
    if (!res.ok) bad(url, `fetch failed: HTTP ${res.status} ${res.statusText}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const tmp = `${target}.part-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, target);
    opts.onFetch?.(f, bytes.length);
  }
  return cache;
}

/** Loads a Planetoid dataset from its raw files (fetched first if needed), as Kipf's load_data does. */
export async function loadPlanetoid(opts: PlanetoidOptions): Promise<Graph> {
  const dir = await ensurePlanetoidFiles(opts);
  const path = (part: string): string => join(dir, `ind.${opts.name}.${part}`);
  const pickle = async (part: string) => {
    const p = path(part);
    return { file: p, value: readPickle(new Uint8Array(await readFile(p)), p) };
  };
  const csr = async (part: string): Promise<{ file: string; m: PyCsr }> => {
    const { file, value } = await pickle(part);
    if (!isCsr(value)) bad(file, 'expected a pickled scipy CSR matrix');
    checkCsr(file, value);
    return { file, m: value };
  };
  const dense = async (part: string): Promise<{ file: string; a: NdArray }> => {
    const { file, value } = await pickle(part);
    if (!isNdArray(value) || value.shape.length !== 2) bad(file, 'expected a pickled 2-D numpy array (one-hot labels)');
    return { file, a: value };
  };

  const x = await csr('x');
  const tx = await csr('tx');
  const allx = await csr('allx');
  const y = await dense('y');
  const ty = await dense('ty');
  const ally = await dense('ally');
  const F = allx.m.shape[1];
  for (const m of [x, tx]) if (m.m.shape[1] !== F) bad(m.file, `has ${m.m.shape[1]} feature columns but ind.${opts.name}.allx has ${F}`);
  const C = ally.a.shape[1]!;
  for (const a of [y, ty]) if (a.a.shape[1] !== C) bad(a.file, `has ${a.a.shape[1]} classes but ind.${opts.name}.ally has ${C}`);
  if (x.m.shape[0] !== y.a.shape[0]) bad(y.file, `has ${y.a.shape[0]} rows but ind.${opts.name}.x has ${x.m.shape[0]}`);
  if (allx.m.shape[0] !== ally.a.shape[0]) bad(ally.file, `has ${ally.a.shape[0]} rows but ind.${opts.name}.allx has ${allx.m.shape[0]}`);
  if (tx.m.shape[0] !== ty.a.shape[0]) bad(ty.file, `has ${ty.a.shape[0]} rows but ind.${opts.name}.tx has ${tx.m.shape[0]}`);
  if (x.m.shape[0] > allx.m.shape[0]) bad(x.file, `has more rows (${x.m.shape[0]}) than ind.${opts.name}.allx (${allx.m.shape[0]})`);
  checkPrefix(x, allx, opts.name);

  const indexFile = path('test.index');
  const testIndex = parseIdList(indexFile, await readFile(indexFile, 'utf8'), 2 ** 31 - 1);
  if (testIndex.length !== tx.m.shape[0]) bad(indexFile, `lists ${testIndex.length} nodes but ind.${opts.name}.tx has ${tx.m.shape[0]} rows`);

  const graphFile = path('graph');
  const graphValue = readPickle(new Uint8Array(await readFile(graphFile)), graphFile);
  if (!(graphValue instanceof PyDict)) bad(graphFile, 'expected a pickled dict of adjacency lists');

  // Nodes: allx rows are nodes 0..allx−1; tx row k is node test.index[k]. Test ids
  // missing from the range min..max (CiteSeer's "isolated" nodes) get empty rows and no label.
  const nAll = allx.m.shape[0];
  let maxTest = -1;
  let minTest = Infinity;
  for (const t of testIndex) {
    maxTest = Math.max(maxTest, t);
    minTest = Math.min(minTest, t);
  }
  if (testIndex.length > 0 && minTest < nAll) bad(indexFile, `node ${minTest} is a test node but also a row of ind.${opts.name}.allx (rows 0..${nAll - 1})`);
  const n = Math.max(nAll, maxTest + 1);
  if (graphValue.map.size !== n) bad(graphFile, `has ${graphValue.map.size} nodes but the features give ${n}`);

  const sourceRow = new Int32Array(n).fill(-1); // −1: no row; r ≥ 0: allx row r; r ≤ −2: tx row −r−2
  for (let i = 0; i < nAll; i++) sourceRow[i] = i;
  testIndex.forEach((node, k) => {
    if (sourceRow[node] !== -1) bad(indexFile, `node ${node} is listed twice`);
    sourceRow[node] = -k - 2;
  });

  const fr: number[] = [];
  const fc: number[] = [];
  const fv: number[] = [];
  const labels = new Int32Array(n).fill(-1);
  for (let node = 0; node < n; node++) {
    const s = sourceRow[node]!;
    if (s === -1) continue;
    const [m, r, a] = s >= 0 ? [allx.m, s, ally.a] : [tx.m, -s - 2, ty.a];
    const ip = m.indptr.data as Int32Array;
    const ix = m.indices.data as Int32Array;
    for (let p = ip[r]!; p < ip[r + 1]!; p++) {
      fr.push(node);
      fc.push(ix[p]!);
      fv.push(Number(m.data.data[p]));
    }
    labels[node] = oneHot(a, r, s >= 0 ? ally.file : ty.file);
  }
  const features = CsrMatrix.fromCoo(fr, fc, fv, [n, F]);

  // Adjacency: every list entry u → v is the undirected edge {u, v}; u → u is a self-loop.
  const edges = new Set<number>();
  const loops = new Set<number>();
  for (let u = 0; u < n; u++) {
    const list = graphValue.map.get(u);
    if (list === undefined) bad(graphFile, `node ${u} has no adjacency list (keys must be 0..${n - 1})`);
    if (!Array.isArray(list)) bad(graphFile, `the adjacency list of node ${u} is not a list`);
    for (const v of list) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) bad(graphFile, `node ${u} lists neighbour ${String(v)}, which is not a node id in 0..${n - 1}`);
      if (u === v) loops.add(u);
      else {
        edges.add(u * n + v);
        edges.add(v * n + u);
      }
    }
  }
  const er: number[] = [];
  const ec: number[] = [];
  for (const e of edges) {
    er.push(Math.floor(e / n));
    ec.push(e % n);
  }
  const adjacency = CsrMatrix.fromCoo(er, ec, new Float64Array(er.length).fill(1), [n, n]);

  const nTrain = y.a.shape[0]!;
  const valCount = Math.min(500, Math.max(0, nAll - nTrain));
  const split: GraphSplit = {
    train: Int32Array.from({ length: nTrain }, (_, i) => i),
    val: Int32Array.from({ length: valCount }, (_, i) => nTrain + i),
    test: Int32Array.from(testIndex).sort(),
  };
  for (const [key, ids] of Object.entries(split) as [string, Int32Array][]) {
    for (const id of ids) if (labels[id]! < 0) bad(key === 'test' ? indexFile : ally.file, `${key} node ${id} has no label`);
  }
  return {
    name: opts.name,
    nodes: n,
    adjacency,
    selfLoops: Int32Array.from(loops).sort(),
    features,
    labels,
    classes: C,
    split,
  };
}

function checkCsr(file: string, m: PyCsr): void {
  const [rows, cols] = m.shape;
  for (const [k, a] of [['indptr', m.indptr], ['indices', m.indices]] as const) {
    if (a.dtype !== 'i4') bad(file, `CSR ${k} has dtype ${a.dtype} (expected int32)`);
  }
  const ip = m.indptr.data as Int32Array;
  const ix = m.indices.data as Int32Array;
  if (ip.length !== rows + 1) bad(file, `CSR indptr has ${ip.length} entries for ${rows} rows`);
  if (ip[0] !== 0 || ip[rows] !== ix.length || ix.length !== m.data.data.length) bad(file, 'CSR indptr, indices and data do not agree in length');
  for (let i = 0; i < rows; i++) {
    if (ip[i + 1]! < ip[i]!) bad(file, `CSR indptr decreases at row ${i}`);
    for (let p = ip[i]!; p < ip[i + 1]!; p++) {
      const j = ix[p]!;
      if (j < 0 || j >= cols) bad(file, `CSR column index ${j} in row ${i} is out of range for ${cols} columns`);
      if (p > ip[i]! && j <= ix[p - 1]!) bad(file, `CSR row ${i} has unsorted or duplicate column indices`);
    }
  }
}

/** x must be the first rows of allx (Planetoid's allx holds the labelled nodes first). */
function checkPrefix(x: { file: string; m: PyCsr }, allx: { file: string; m: PyCsr }, name: string): void {
  const a = x.m.indptr.data as Int32Array;
  const b = allx.m.indptr.data as Int32Array;
  const ai = x.m.indices.data as Int32Array;
  const bi = allx.m.indices.data as Int32Array;
  for (let i = 0; i < x.m.shape[0]; i++) {
    const len = a[i + 1]! - a[i]!;
    let same = len === b[i + 1]! - b[i]!;
    for (let k = 0; same && k < len; k++) {
      same = ai[a[i]! + k] === bi[b[i]! + k] && x.m.data.data[a[i]! + k] === allx.m.data.data[b[i]! + k];
    }
    if (!same) bad(x.file, `row ${i} differs from row ${i} of ind.${name}.allx`);
  }
}

/** The class of a one-hot row (−1 for an all-zero row); rows with several ones are an error. */
function oneHot(a: NdArray, row: number, file: string): number {
  const C = a.shape[1]!;
  const v = intEntriesCached(a, file);
  let cls = -1;
  for (let c = 0; c < C; c++) {
    const x = v[row * C + c]!;
    if (x === 0) continue;
    if (x !== 1 || cls >= 0) bad(file, `row ${row} is not one-hot`);
    cls = c;
  }
  return cls;
}

const intCache = new WeakMap<NdArray, Int32Array>();
function intEntriesCached(a: NdArray, file: string): Int32Array {
  let v = intCache.get(a);
  if (!v) {
    v = a.dtype.startsWith('f') ? Int32Array.from(a.data as Float32Array, (x) => (Number.isInteger(x) ? x : 2)) : intEntries(a, file);
    intCache.set(a, v);
  }
  return v;
}

// ---------------------------------------------------------------------------

/** Loads the graph a spec names (relative paths resolved against `dataDir`). */
export async function loadGraph(
  source: { format: 'folder' | 'planetoid'; path?: string; name?: string; url?: string; cache?: string },
  dataDir: string,
): Promise<Graph> {
  const abs = (p: string): string => resolve(dataDir, p);
  if (source.format === 'folder') return loadGraphFolder(abs(source.path!));
  return loadPlanetoid({
    name: source.name!,
    ...(source.path !== undefined ? { dir: abs(source.path) } : {}),
    ...(source.url !== undefined ? { url: source.url } : {}),
    ...(source.cache !== undefined ? { cache: abs(source.cache) } : {}),
  });
}
