// Launches the real Electron app where Electron's binary exists (it is
// downloaded on first use, which the build machines cannot do): the window
// opens on the lab, the sandboxed renderer has window.lab and no Node, and the
// compute host answers. Elsewhere it skips and says why.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';
// @ts-expect-error -- a plain .mjs script without types
import { electronBinary } from '../../scripts/electron-binary.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'dist', 'app', 'main.cjs');
const electron = electronBinary() as { path: string | null; why: string | null };
const why = electron.path === null ? electron.why : !existsSync(main) ? `${main} is missing: run \`npm run build\`` : null;
if (why) console.log(`# electron launch test skipped: ${why}`);

describe('the Electron app', () => {
  it('opens the lab window with a sandboxed, isolated renderer that reaches the compute host', { timeout: 120_000, skip: why ?? false }, async () => {
    const userData = mkdtempSync(join(tmpdir(), 'lab-electron-'));
    // No display: Chromium's headless Ozone backend.
    const headless = process.platform === 'linux' && !process.env.DISPLAY ? ['--ozone-platform=headless'] : [];
    const app = await _electron.launch({ executablePath: electron.path!, args: [...headless, `--user-data-dir=${userData}`, main], cwd: root });
    try {
      const page = await app.firstWindow();
      await page.getByRole('tab', { name: 'Matrices' }).waitFor({ timeout: 60_000 });
      assert.equal(await page.title(), 'Sparse AD Lab');
      const probe = await page.evaluate(async () => {
        const g = globalThis as unknown as { lab?: { info(p: object): Promise<{ mode: string }> }; require?: unknown; process?: unknown };
        return { hasLab: typeof g.lab === 'object', noRequire: typeof g.require === 'undefined', noProcess: typeof g.process === 'undefined', mode: (await g.lab!.info({})).mode };
      });
      assert.deepEqual(probe, { hasLab: true, noRequire: true, noProcess: true, mode: 'electron' });
      mkdirSync(join(root, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, 'test-artifacts', 'electron.png') });
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
