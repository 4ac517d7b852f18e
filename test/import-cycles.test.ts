// The layering check (.dependency-cruiser.cjs): no import cycles, and no import
// that fails to resolve, in native/lib, experiments and electron. It runs
// dependency-cruiser's own CLI, as `npm run check:imports` does; the second
// test feeds it deliberate cycles through '.js' specifiers, so a configuration
// that stopped resolving them to the '.ts' sources (and so saw no edges, and
// no cycles) would fail here rather than pass quietly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['native/lib', 'experiments', 'electron'];

/** dependency-cruiser's CLI (a devDependency), found as Node would find the package. */
function depcruiseBin(): string {
  const dirs = createRequire(import.meta.url).resolve.paths('dependency-cruiser') ?? [];
  for (const dir of dirs) {
    const bin = join(dir, 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
    if (existsSync(bin)) return bin;
  }
  throw new Error('dependency-cruiser is not installed (a devDependency: run npm install)');
}

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}
interface Cruise {
  modules: { source: string; dependencies: { resolved: string; couldNotResolve: boolean }[] }[];
  summary: { violations: Violation[]; error: number; totalCruised: number };
}

function cruise(paths: string[]): Cruise {
  const r = spawnSync(process.execPath, [depcruiseBin(), '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...paths], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  if (!r.stdout.trim().startsWith('{')) throw new Error(`depcruise exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Cruise;
}

function describeViolation(v: Violation): string {
  return v.cycle ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')}` : `${v.rule.name}: ${v.from} → ${v.to}`;
}

test('native/lib, experiments and electron import each other without cycles', () => {
  const r = cruise(FOLDERS);
  assert.deepEqual(r.summary.violations.map(describeViolation), []);
  // The cruise saw the code: modules from every folder, and '.js' specifiers resolved to '.ts' files.
  for (const folder of FOLDERS) assert.ok(r.modules.some((m) => m.source.startsWith(`${folder}/`)), `no module of ${folder} was cruised`);
  const index = r.modules.find((m) => m.source === 'native/lib/index.ts');
  assert.ok(index, 'native/lib/index.ts was not cruised');
  assert.ok(index.dependencies.some((d) => d.resolved === 'native/lib/methods.ts'), "index.ts's import of './methods.js' did not resolve to methods.ts");
});

test('the check fails on a cycle through .js specifiers (runtime or type-only) and on an unresolvable import', () => {
  const dir = join(root, 'test-artifacts', `import-cycle-fixture-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files: Record<string, string> = {
      'a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = (): number => a() - 1;\n",
      'c.ts': "import type { D } from './d.js';\nexport interface C { d: D }\n",
      'd.ts': "import type { C } from './c.js';\nexport interface D { c: C }\n",
      'e.ts': "import { nothing } from './missing.js';\nexport const e = nothing;\n",
      'f.ts': "import { a } from './a.js';\nexport const f = a;\n", // not in a cycle
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const rel = `test-artifacts/${dir.split('/').pop()}`;
    const found = cruise([rel]).summary.violations.map(describeViolation).sort();
    assert.deepEqual(found, [
      `no-circular: ${rel}/a.ts → ${rel}/b.ts → ${rel}/a.ts`, // each cycle reported once
      `no-circular: ${rel}/c.ts → ${rel}/d.ts → ${rel}/c.ts`,
      `not-to-unresolvable: ${rel}/e.ts → ./missing.js`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
