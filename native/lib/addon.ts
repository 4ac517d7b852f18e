// Loads the native addon (once per JS thread) and declares its raw interface.
// Only native/lib talks to this module; everything above it uses the typed API.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FloatArray = Float64Array | Float32Array;

/** The raw functions the addon exports. Arguments are checked in TypeScript first. */
export interface Addon {
  setThreads(n: number): void;
  getThreads(): number;
  buildInfo(): { cuda: boolean; blas: string; klu: boolean; hardwareThreads: number };
  cudaDevices(): { index: number; name: string; totalMemory: number; computeCapability: string; emulated: boolean }[];
  spmv(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray, x: FloatArray, y: FloatArray): void;
  // Further kernels are declared by the op files that use them (see ops/*.ts).
  [name: string]: unknown;
}

function findAddon(): string {
  const override = process.env.SPARSE_AD_ADDON;
  if (override) return resolve(override);
  // Walk up from this file (native/lib or dist/native/lib) to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'Release', 'sparse_ad_lab.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    'sparse-ad-lab: the native addon is not built (build/Release/sparse_ad_lab.node not found). ' +
      'Run `npm run build` first, or set SPARSE_AD_ADDON to its path.',
  );
}

let loaded: Addon | undefined;

export function addon(): Addon {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require(findAddon()) as Addon;
  }
  return loaded;
}

/**
 * The kernels looked up so far. The addon's exports object has hundreds of
 * properties, so V8 reads `addon()[name]` as a megamorphic keyed load (≈0.1 µs,
 * several per op); a Map keyed by the same interned names costs a hash probe.
 */
const kernels = new Map<string, unknown>();

/** A kernel the addon exports under `name`, typed by the caller. */
export function kernel<F>(name: string): F {
  let fn = kernels.get(name);
  if (fn === undefined) {
    fn = addon()[name];
    if (typeof fn !== 'function') throw new Error(`sparse-ad-lab: the addon has no kernel '${name}' (stale build? run \`npm run build\`)`);
    kernels.set(name, fn);
  }
  return fn as F;
}
