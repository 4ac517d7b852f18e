#!/usr/bin/env node
// Checks a packed app directory (electron-builder --dir output, e.g.
// out/dist/linux-unpacked): the asar holds the app, and what other processes and
// threads load from disk — the addon, the compute host, its worker, piscina —
// is unpacked beside it. Used by test/electron/packaging.test.ts; run by hand as
//   node build/check-layout.mjs out/dist/linux-unpacked
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Problems with the layout under `dir` (empty when it is right). */
export function checkLayout(dir, { executable = 'sparse-ad-lab' } = {}) {
  const problems = [];
  const need = (cond, what) => {
    if (!cond) problems.push(what);
  };
  const resources = join(dir, 'resources');
  const asarPath = join(resources, 'app.asar');
  const unpacked = join(resources, 'app.asar.unpacked');
  need(existsSync(join(dir, executable)), `the executable ${executable} is missing`);
  need(existsSync(asarPath), 'resources/app.asar is missing');
  if (!existsSync(asarPath)) return problems;

  const asar = require('@electron/asar');
  const files = new Set(asar.listPackage(asarPath).map((f) => f.replaceAll('\\', '/')));
  for (const f of ['/package.json', '/dist/app/main.cjs', '/dist/app/preload.cjs', '/dist/app/host-process.mjs', '/dist/app/worker.mjs', '/dist/ui/index.html']) {
    need(files.has(f), `app.asar lacks ${f}`);
  }
  need(![...files].some((f) => f.endsWith('.map')), 'app.asar holds source maps');
  need(!files.has('/dist/app/serve.mjs'), 'app.asar holds the browser-mode server');
  need(![...files].some((f) => f.startsWith('/node_modules/react/') || f.startsWith('/node_modules/recharts/')), 'app.asar holds UI packages the renderer bundle already contains');
  need(![...files].some((f) => /^\/(native|experiments|electron|renderer|test)\//.test(f)), 'app.asar holds sources');
  const pkg = JSON.parse(asar.extractFile(asarPath, 'package.json').toString());
  need(pkg.main === 'dist/app/main.cjs', `package.json main is ${pkg.main}, not dist/app/main.cjs`);
  const assets = [...files].filter((f) => f.startsWith('/dist/ui/assets/') && f.endsWith('.js'));
  need(assets.length > 0, 'app.asar has no renderer bundle');

  // Unpacked: loaded by another process (utilityProcess), a thread (piscina) or dlopen.
  for (const f of ['build/Release/sparse_ad_lab.node', 'dist/app/host-process.mjs', 'dist/app/worker.mjs', 'node_modules/piscina/package.json', 'node_modules/piscina/dist/worker.js']) {
    need(existsSync(join(unpacked, f)), `app.asar.unpacked lacks ${f}`);
  }
  const addon = join(unpacked, 'build', 'Release', 'sparse_ad_lab.node');
  if (existsSync(addon)) need(readFileSync(addon).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), 'the unpacked addon is not an ELF shared object');
  return problems;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = process.argv[2] ?? 'out/dist/linux-unpacked';
  const problems = checkLayout(dir);
  if (problems.length) {
    console.error(`check-layout: ${dir}:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`check-layout: ${dir} is laid out as the app needs`);
}
