#!/usr/bin/env node
// Bundles the lab's host side with esbuild into dist/app/:
//   main.cjs, preload.cjs   Electron main and preload (the preload must be one CommonJS file when sandboxed)
//   host-process.mjs        the compute host (utilityProcess in the app, child process in browser mode)
//   worker.mjs              a pool thread (engine + experiments)
//   sweep-worker.mjs        a thread of the sweep pool (experiments/sweep/pool-worker.ts)
//   serve.mjs               browser mode (npm run serve)
// piscina stays a package (it starts its threads from its own files), ws, bullmq and ioredis too, electron is the runtime.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';

mkdirSync('dist/app', { recursive: true });
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', external: ['electron', 'piscina', 'ws', 'bullmq', 'ioredis'] };
// ESM bundles get a require() for the CommonJS code inside them (the addon loader uses createRequire itself).
const esmBanner = { js: "import { createRequire as __labCreateRequire } from 'node:module'; const require = __labCreateRequire(import.meta.url);" };

await Promise.all([
  build({ ...common, entryPoints: { main: 'electron/main.ts', preload: 'electron/preload.ts' }, outdir: 'dist/app', format: 'cjs', outExtension: { '.js': '.cjs' } }),
  build({
    ...common,
    entryPoints: { 'host-process': 'electron/services/host-process.ts', worker: 'electron/services/worker.ts', 'sweep-worker': 'experiments/sweep/pool-worker.ts', serve: 'electron/serve.ts' },
    outdir: 'dist/app',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: esmBanner,
  }),
]);
