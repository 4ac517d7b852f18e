#!/usr/bin/env node
// Starts the desktop lab.
//   node scripts/lab.mjs start [args]   the Electron app; where Electron's binary is missing
//                                       (it is downloaded on first use, which this machine cannot
//                                       do) it says so and starts browser mode instead
//   node scripts/lab.mjs serve [args]   browser mode: prints a 127.0.0.1 URL with its token
// Builds the app bundle and the renderer first when they are missing (a few seconds);
// the native addon must have been built (`npm run build`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...args] = process.argv.slice(2);

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function ensureBuilt() {
  const addon = process.env.SPARSE_AD_ADDON || join(root, 'build', 'Release', 'sparse_ad_lab.node');
  if (!existsSync(addon)) {
    console.error(`sparse-ad-lab: the native addon is not built (${addon} is missing): run \`npm run build\` first.`);
    process.exit(1);
  }
  if (!existsSync(join(root, 'dist', 'app', 'serve.mjs')) || !existsSync(join(root, 'dist', 'app', 'main.cjs'))) run(process.execPath, ['scripts/build-app.mjs']);
  if (!existsSync(join(root, 'dist', 'ui', 'index.html'))) run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'renderer/vite.config.ts']);
}

function serve() {
  const child = spawn(process.execPath, [join(root, 'dist', 'app', 'serve.mjs'), ...args], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}

if (command === 'serve') {
  ensureBuilt();
  serve();
} else if (command === 'start') {
  ensureBuilt();
  const electron = electronBinary();
  if (electron.path) {
    const child = spawn(electron.path, [join(root, 'dist', 'app', 'main.cjs'), ...args], { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  } else {
    console.log(`sparse-ad-lab: cannot open the Electron app: ${electron.why}.`);
    console.log('sparse-ad-lab: starting browser mode instead (the same app, in your browser).');
    serve();
  }
} else {
  console.error(`usage: node scripts/lab.mjs start|serve [args]  (got '${command}')`);
  process.exit(2);
}
