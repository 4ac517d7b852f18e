// The renderer's build: React through @vitejs/plugin-react, output in
// dist/ui (not dist/renderer, where tsc mirrors sources the tests import) with relative asset paths (served from lab://app in the app and
// from 127.0.0.1 in browser mode). No inline scripts, so the CSP can forbid them.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
});
