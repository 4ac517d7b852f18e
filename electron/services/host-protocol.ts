// Messages between a parent (Electron's main process or the browser-mode
// server) and the compute host process. Structured clone carries them, so typed
// arrays pass as they are.
import type { LabEvent } from '../common/lab-api.js';
import type { WorkerTask } from './worker-protocol.js';

export type ToHost =
  | { type: 'call'; id: number; method: string; params: unknown }
  /** Test hooks only (the host must have been started with them). */
  | { type: 'test'; id: number; task: WorkerTask }
  | { type: 'shutdown' };

export type FromHost =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string }
  | { type: 'event'; event: LabEvent };

/** How the host process is configured: environment variables, set by whoever starts it. */
export const HOST_ENV = {
  dataDir: 'SPARSE_AD_LAB_DATA_DIR',
  threads: 'SPARSE_AD_LAB_THREADS',
  workerFile: 'SPARSE_AD_LAB_WORKER',
  testHooks: 'SPARSE_AD_LAB_TEST_HOOKS',
  experimentsData: 'SPARSE_AD_DATA',
} as const;
