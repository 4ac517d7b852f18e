#!/usr/bin/env node
// Bundles the device ('cuda') test files into plain .mjs files under .gpu/tests,
// so they run with a bare `node --test` on a GPU machine that has no npm
// packages and no TypeScript (scripts/gpu-check.sh, step 6). The addon is
// found through SPARSE_AD_ADDON and the shared data through SPARSE_AD_SHARED_DATA.
//   node scripts/bundle-device-tests.mjs [--node] [--prefix]
//     --node    also pack this node binary as .gpu/node.xz
//     --prefix  also copy SuiteSparse KLU's and CHOLMOD's headers and libraries (and
//               METIS, which CHOLMOD loads) into .gpu/prefix (for a GPU machine
//               without libsuitesparse-dev; BLAS/LAPACK are expected there)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const out = '.gpu/tests';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = [
  ...readdirSync('test/native').filter((f) => /^device.*\.test\.ts$/.test(f)).map((f) => join('test/native', f)),
  ...readdirSync('test/experiments').filter((f) => /^device.*\.test\.ts$/.test(f)).map((f) => join('test/experiments', f)),
];
for (const file of files) {
  await build({
    entryPoints: [file],
    outfile: join(out, basename(file).replace(/\.ts$/, '.mjs')),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Bundled ESM has no require(); the addon loader uses createRequire, others may not.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
writeFileSync(join(out, 'FILES'), files.join('\n') + '\n');
console.log(`bundled ${files.length} test files into ${out}`);
if (process.argv.includes('--prefix')) {
  const script = [
    'set -e; P=.gpu/prefix; mkdir -p $P/include/suitesparse $P/lib',
    'for h in klu.h amd.h colamd.h btf.h camd.h ccolamd.h SuiteSparse_config.h /usr/include/suitesparse/cholmod*.h; do cp /usr/include/suitesparse/$(basename $h) $P/include/suitesparse/; done',
    'for s in /usr/lib/x86_64-linux-gnu/libmetis.so.[0-9]; do [ -e $s ] && cp $(readlink -f $s) $P/lib/$(basename $s); done',
    'for l in klu amd colamd btf camd ccolamd cholmod suitesparseconfig; do f=$(readlink -f /usr/lib/x86_64-linux-gnu/lib$l.so); cp $f $P/lib/lib$l.so; for s in /usr/lib/x86_64-linux-gnu/lib$l.so.[0-9]; do cp $f $P/lib/$(basename $s); done; done',
  ].join('\n');
  execFileSync('sh', ['-c', script]);
  console.log('copied SuiteSparse KLU and CHOLMOD into .gpu/prefix');
}
if (process.argv.includes('--node')) {
  execFileSync('sh', ['-c', `xz -T2 -3 -c "${process.execPath}" > .gpu/node.xz`]);
  console.log('packed node into .gpu/node.xz');
}
