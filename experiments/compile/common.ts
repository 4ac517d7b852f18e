// What the v1 compiler shared and others still use: the data folder and the
// seeds. The compiler itself is experiments/graph/compile.ts.
export { defaultDataDir } from '../graph/data-dir.js';
export { mixSeed, runSeed } from '../graph/compile.js';
export { STREAM } from '../graph/templates/build.js';
export type { CompileOptions } from '../graph/compile.js';
