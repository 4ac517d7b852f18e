// Where the lab's pieces are, from source (run through tsx) or from the bundle
// (dist/app/*.mjs, built by scripts/build-app.mjs).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  /** The package root (holds package.json). */
  root: string;
  /** The compute host's entry and the Node flags it needs (tsx from source). */
  hostEntry: string;
  hostExecArgv: string[];
  /** The built renderer. */
  rendererDir: string;
}

/** Paths relative to the module at `moduleUrl` (pass import.meta.url). */
export function appPaths(moduleUrl: string): AppPaths {
  const self = fileURLToPath(moduleUrl);
  const fromSource = extname(self) === '.ts';
  let root = dirname(self);
  for (let i = 0; i < 5 && !existsSync(join(root, 'package.json')); i++) root = dirname(root);
  const app = join(root, 'dist', 'app');
  return {
    root,
    hostEntry: fromSource ? join(root, 'electron', 'services', 'host-process.ts') : join(app, 'host-process.mjs'),
    hostExecArgv: fromSource ? ['--import', 'tsx'] : [],
    rendererDir: resolve(root, 'dist', 'ui'),
  };
}

/** The user data folder outside Electron (the app passes app.getPath('userData') instead). */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'sparse-ad-lab');
}
