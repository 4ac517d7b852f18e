// The embedded run pool: piscina threads, each loading the engine once and running
// sweep jobs with the same code a queue worker uses (pool-worker.ts). The local
// executor runs a whole sweep on it; a queue worker hands each BullMQ job to it, so
// that the worker's own event loop stays free to renew job locks.
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { RunProgress, RunRow, SweepJob } from './job.js';

export interface RunPoolOptions {
  /** Runs at once (threads). Default: the machine's cores. */
  concurrency?: number;
  /** CPU kernel threads per run. Default: cores / concurrency (at least 1), so runs do not oversubscribe. */
  threads?: number;
  /** How long a cancelled run may take to stop by itself before its thread is terminated. Default 2 s. */
  graceMs?: number;
}

export interface RunHandle {
  result: Promise<RunRow>;
  cancel(): void;
}

/**
 * The thread module: pool-worker next to this file (.ts from source through tsx, .js
 * when compiled), or sweep-worker.mjs beside the bundle this code was bundled into
 * (dist/app, scripts/build-app.mjs).
 */
function workerFile(): string {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  if (basename(self, ext) !== 'pool') return join(dirname(self), 'sweep-worker.mjs');
  return join(dirname(self), `pool-worker${ext}`);
}

export class RunPool {
  readonly concurrency: number;
  private readonly piscina: Piscina;
  private readonly graceMs: number;

  constructor(opts: RunPoolOptions = {}) {
    const cores = availableParallelism();
    this.concurrency = Math.max(1, opts.concurrency ?? cores);
    this.graceMs = opts.graceMs ?? 2000;
    const threads = opts.threads ?? Math.max(1, Math.floor(cores / this.concurrency));
    this.piscina = new Piscina({
      filename: workerFile(),
      minThreads: this.concurrency,
      maxThreads: this.concurrency,
      idleTimeout: 60_000,
      workerData: { threads },
    });
    // A thread dying between tasks must not take the process down; its task already failed.
    this.piscina.on('error', () => {});
  }

  run(job: SweepJob, worker: string, onProgress?: (p: RunProgress) => void): RunHandle {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const abort = new AbortController();
    let force: NodeJS.Timeout | undefined;
    port1.on('message', (p: RunProgress) => onProgress?.(p));
    const result = (this.piscina.run({ job, worker, port: port2, cancelFlag: flag }, { transferList: [port2 as unknown as MessagePort], signal: abort.signal }) as Promise<RunRow>).finally(() => {
      if (force) clearTimeout(force);
      port1.close();
    });
    return {
      result,
      cancel: () => {
        Atomics.store(flag, 0, 1);
        force ??= setTimeout(() => abort.abort(), this.graceMs).unref();
      },
    };
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
