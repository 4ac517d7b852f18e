// Finds Electron's executable without triggering its download (the electron
// package downloads on first require, which this machine's network forbids).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** { path, why }: the executable, or null and the reason it is not there. */
export function electronBinary() {
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { path: null, why: 'the electron package is not installed (npm install)' };
  }
  // The package writes the executable's name to path.txt once the binary is in place.
  const pathFile = join(pkgDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron');
    return existsSync(p) ? { path: p, why: null } : { path: null, why: `ELECTRON_OVERRIDE_DIST_PATH has no ${name || 'electron'}` };
  }
  if (!name) return { path: null, why: "Electron's binary has not been downloaded (node_modules/electron/path.txt is missing: the download is deferred to first use and needs the network)" };
  const p = join(pkgDir, 'dist', name);
  return existsSync(p) ? { path: p, why: null } : { path: null, why: `Electron's binary is missing (${p})` };
}
