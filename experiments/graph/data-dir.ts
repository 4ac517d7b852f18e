// Where relative data paths resolve: $SPARSE_AD_SHARED_DATA, or ../shared/data
// beside the checkout, or the working directory.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultDataDir(): string {
  if (process.env.SPARSE_AD_SHARED_DATA) return resolve(process.env.SPARSE_AD_SHARED_DATA);
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [resolve(here, '..', '..', '..', 'shared', 'data'), resolve(here, '..', '..', '..', '..', 'shared', 'data')]) {
    if (existsSync(c)) return c;
  }
  return process.cwd();
}

/** The first of (graph file's folder, data folder, working directory) where a relative path exists. */
export function resolveDataPath(path: string, dataDir: string, specDir?: string): { path: string | undefined; tried: string[] } {
  const tried = isAbsolute(path) ? [path] : [...(specDir ? [resolve(specDir, path)] : []), resolve(dataDir, path), resolve(path)];
  return { path: tried.find((p) => existsSync(p)), tried };
}
