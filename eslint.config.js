// Lint for the desktop lab (npm run lint). Its main job is the layering of
// ../shared/STYLE.md §4: only electron/main.ts and electron/preload.ts may
// import 'electron'; services stay plain Node; common code imports no platform;
// the renderer reaches the host only through the LabApi.
import tseslint from 'typescript-eslint';

const electronOnlyInShell = {
  name: 'electron',
  message: "Bad layering: only electron/main.ts and electron/preload.ts import 'electron' (services are plain Node, the renderer uses the LabApi).",
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'build/**', 'build-*/**', 'node_modules/**', 'test-artifacts/**'] },
  {
    files: ['electron/**/*.ts', 'renderer/**/*.{ts,tsx}', 'test/electron/**/*.ts', 'test/e2e/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-restricted-imports': ['error', { paths: [electronOnlyInShell] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-debugger': 'error',
    },
  },
  {
    files: ['electron/main.ts', 'electron/preload.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['electron/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInShell],
          patterns: [
            { group: ['node:*'], message: 'Bad layering: electron/common is shared with the renderer and imports no platform.' },
            { group: ['**/services/**', '**/renderer/**', '**/native/**', '**/experiments/**'], message: 'Bad layering: electron/common imports nothing above or beside it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInShell],
          patterns: [
            { group: ['node:*'], message: 'Bad layering: the renderer runs sandboxed; it has no Node.' },
            { group: ['**/electron/services/**', '**/native/**', '**/experiments/**'], message: 'Bad layering: the renderer reaches the host only through the LabApi (electron/common).' },
          ],
        },
      ],
    },
  },
);
