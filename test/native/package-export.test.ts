// The engine is importable as `sparse-ad-lab/engine` after the build (package.json
// "exports", resolved by Node's package self-reference to dist/), with its types.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

test('package export: sparse-ad-lab/engine resolves to the built engine and works', async (t) => {
  const dist = new URL('../../dist/native/lib/index.js', import.meta.url);
  if (!existsSync(dist)) {
    // `npm test` always builds first; a bare test:only run may not have.
    t.skip('dist/ is not built (run `npm run build`); the export is checked by `npm test`');
    return;
  }
  assert.ok(existsSync(new URL('../../dist/native/lib/index.d.ts', import.meta.url)), 'type declarations are emitted');
  const engine = (await import('sparse-ad-lab/engine')) as typeof import('../../native/lib/index.js');
  const A = engine.CsrMatrix.fromCoo([0, 0, 1], [0, 2, 1], [1, 2, 3], [2, 3], { requiresGrad: true });
  const x = engine.tensor([1, 2, 3], { requiresGrad: true });
  const y = engine.spmv(A, x);
  assert.deepEqual([...y.toArray()], [7, 6]);
  y.backward(engine.tensor([1, 10]));
  assert.deepEqual([...A.values.grad!.toArray()], [1, 3, 20]);
  assert.deepEqual([...x.grad!.toArray()], [1, 30, 2]);
  for (const name of ['spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve', 'matmul', 'gradcheck', 'noGrad', 'readMatrixMarket', 'writeMatrixMarket', 'Adam', 'SGD', 'AdamW']) {
    assert.equal(typeof (engine as Record<string, unknown>)[name], 'function', `sparse-ad-lab/engine exports ${name}`);
  }
});
