// electron-builder configuration. `npm run dist` builds everything, then packs
// Linux AppImage and deb into out/dist/ (not dist/, which holds the build).
// See build/README.md. The addon is taken from $SPARSE_AD_ADDON when set (as
// the engine does), else from build/Release.
const { basename, dirname, relative, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const addon = process.env.SPARSE_AD_ADDON ? resolve(process.env.SPARSE_AD_ADDON) : resolve(root, 'build', 'Release', 'sparse_ad_lab.node');

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.sparseadlab.app',
  productName: 'Sparse AD Lab',
  executableName: 'sparse-ad-lab',
  copyright: 'Copyright © the Sparse AD Lab authors',
  directories: { output: 'out/dist', buildResources: 'build/resources' },
  // The app's entry (package.json's own fields describe the engine package).
  extraMetadata: { main: 'dist/app/main.cjs' },
  // One Node-API build of the addon serves Node and Electron: never rebuild it.
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  files: [
    'package.json',
    'dist/app/**',
    'dist/ui/**',
    '!**/*.map',
    '!dist/app/serve.mjs',
    { from: relative(root, dirname(addon)) || '.', to: 'build/Release', filter: [basename(addon)] },
  ],
  asar: true,
  // What another process or thread loads from disk must be a real file: the
  // addon, the compute host (a utilityProcess), its pool threads and piscina.
  asarUnpack: ['**/*.node', 'dist/app/host-process.mjs', 'dist/app/worker.mjs', 'dist/app/sweep-worker.mjs', 'node_modules/piscina/**'],
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    synopsis: 'Reverse-mode autodiff through sparse matrices, with a lab to try it',
    maintainer: 'Sparse AD Lab authors <sparse-ad-lab@users.noreply.github.com>',
  },
  // The addon links OpenBLAS and SuiteSparse's KLU from the system.
  deb: { depends: ['libopenblas0', 'libklu1'] },
};
