// The packaged layout, checked without downloading anything: electron-builder
// packs the built app (--dir) against a prepared stand-in Electron directory
// (electronDist), then build/check-layout.mjs checks the asar and what must be
// unpacked from it. Skips, saying why, when the app has not been built.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs script without types
import { checkLayout } from '../../build/check-layout.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = process.env.SPARSE_AD_ADDON ?? join(root, 'build', 'Release', 'sparse_ad_lab.node');
const missing = [join(root, 'dist', 'app', 'main.cjs'), join(root, 'dist', 'ui', 'index.html'), addon].filter((f) => !existsSync(f));
const skip = missing.length ? `not built (${missing.join(', ')} missing): run \`npm run build\`` : false;

describe('packaging', () => {
  it('electron-builder packs the app with the addon, the compute host and piscina outside the asar', { timeout: 180_000, skip }, () => {
    const work = mkdtempSync(join(tmpdir(), 'lab-pack-'));
    try {
      // A stand-in for an unpacked Electron (what electronDist normally points at).
      const electronDist = join(work, 'electron');
      mkdirSync(join(electronDist, 'resources'), { recursive: true });
      writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\necho stand-in electron\n');
      chmodSync(join(electronDist, 'electron'), 0o755);
      writeFileSync(join(electronDist, 'version'), JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version);
      writeFileSync(join(electronDist, 'LICENSE'), '');
      const out = join(work, 'out');
      const r = spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'electron-builder', 'cli.js'), '--dir', '--linux', '--config', 'build/electron-builder.config.cjs', `-c.electronDist=${electronDist}`, `-c.directories.output=${out}`],
        { cwd: root, encoding: 'utf8', env: { ...process.env, SPARSE_AD_ADDON: addon, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, timeout: 170_000 },
      );
      assert.equal(r.status, 0, `electron-builder failed:\n${r.stdout}\n${r.stderr}`);
      assert.deepEqual(checkLayout(join(out, 'linux-unpacked')), []);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
