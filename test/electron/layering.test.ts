// STYLE.md §4 layering, enforced by eslint.config.js: only electron/main.ts and
// electron/preload.ts import 'electron'; common code imports no platform; the
// renderer has no Node and reaches the host only through the LabApi.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function layeringErrors(text: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it('the lab’s own files keep it', async () => {
    const results = await eslint.lintFiles(['electron', 'renderer/src']);
    const bad = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}:${m.line}: ${m.message}`));
    assert.deepEqual(bad, []);
    // The two shell files do import electron (so the rule has something to allow).
    const shell = results.filter((r) => /electron[\\/](main|preload)\.ts$/.test(r.filePath));
    assert.equal(shell.length, 2);
  });

  it("refuses 'electron' anywhere else, and platform imports in common code and the renderer", async () => {
    const importElectron = "import { app } from 'electron';\nexport const a = app;\n";
    assert.match((await layeringErrors(importElectron, 'electron/services/sneaky.ts'))[0] ?? '', /only electron\/main\.ts and electron\/preload\.ts import 'electron'/);
    assert.equal((await layeringErrors(importElectron, 'renderer/src/sneaky.tsx')).length, 1);
    assert.equal((await layeringErrors(importElectron, 'electron/main.ts')).length, 0);
    assert.match((await layeringErrors("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'electron/common/sneaky.ts'))[0] ?? '', /imports no platform/);
    assert.match((await layeringErrors("import { ComputeHost } from '../../../electron/services/compute-host.js';\nexport const c = ComputeHost;\n", 'renderer/src/views/sneaky.tsx'))[0] ?? '', /only through the LabApi/);
  });
});
