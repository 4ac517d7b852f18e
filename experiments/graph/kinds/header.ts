// Sizes of data files read without reading the data: the MatrixMarket size line,
// a graph folder's labels and split. validateGraph uses these to infer shapes.
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

/** rows, cols and nnz from a MatrixMarket file's size line (.mtx or .mtx.gz), reading only up to it. */
export async function matrixMarketSize(path: string): Promise<{ rows: number; cols: number; nnz: number; symmetric: boolean }> {
  const raw = createReadStream(path);
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let text = '';
  let symmetric = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      const lines = text.split(/\r?\n/);
      if (lines.length === 1) continue;
      const banner = lines[0]!;
      if (!/^%%MatrixMarket/i.test(banner)) throw new Error(`${path}: not a MatrixMarket file (the first line is not a %%MatrixMarket banner)`);
      symmetric = /symmetric|hermitian/i.test(banner);
      for (let i = 1; i < lines.length - 1; i++) {
        const l = lines[i]!.trim();
        if (l === '' || l.startsWith('%')) continue;
        const parts = l.split(/\s+/).map(Number);
        if (parts.length < 2 || parts.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`${path}: the size line "${l}" is not "rows cols [nnz]"`);
        return { rows: parts[0]!, cols: parts[1]!, nnz: parts[2] ?? parts[0]! * parts[1]!, symmetric };
      }
      if (text.length > 1 << 22) break;
    }
  } finally {
    raw.destroy();
  }
  throw new Error(`${path}: no size line found`);
}

/** n, features, classes and split sizes of a graph folder, from headers and the small text files. */
export async function graphFolderSizes(dir: string): Promise<{ nodes: number; features: number; classes: number; train: number; val: number; test: number }> {
  for (const f of ['adjacency.mtx', 'features.mtx', 'labels.txt', 'split.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} is missing (a graph folder holds adjacency.mtx, features.mtx, labels.txt, split.json)`);
  }
  const adj = await matrixMarketSize(join(dir, 'adjacency.mtx'));
  const feat = await matrixMarketSize(join(dir, 'features.mtx'));
  let max = -1;
  for (const l of (await readFile(join(dir, 'labels.txt'), 'utf8')).split(/\r?\n/)) {
    const v = Number(l.trim());
    if (l.trim() !== '' && Number.isInteger(v) && v > max) max = v;
  }
  let split: Record<string, unknown> = {};
  try {
    split = JSON.parse(await readFile(join(dir, 'split.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    /* reported when the data is loaded */
  }
  const len = (k: string): number => (Array.isArray(split[k]) ? (split[k] as unknown[]).length : -1);
  return { nodes: adj.rows, features: feat.cols, classes: max + 1, train: len('train'), val: len('val'), test: len('test') };
}
