// The compute host's worker pool: piscina threads, each loading the addon once.
// A task streams progress through its own MessagePort and is cancelled in two
// steps: a shared flag the task polls between steps (it stops cleanly, with its
// partial results), then, if it has not stopped after `graceMs`, piscina's abort,
// which terminates that thread. A thread that dies fails only its own task;
// piscina starts a replacement.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { WorkerProgress, WorkerTask } from './worker-protocol.js';

export interface PoolOptions {
  /** The worker module (file path or URL). */
  filename: string;
  threads: number;
  /** Environment for the worker threads (default: the host's). */
  env?: Record<string, string>;
  /** How long a cancelled task may take to stop by itself (default 3 s). */
  graceMs?: number;
}

export interface TaskHandle<R> {
  result: Promise<R>;
  /** Asks the task to stop; forces it after the grace period. */
  cancel(): void;
  readonly cancelled: boolean;
}

/** The error a task fails with when its thread died under it. */
export class WorkerCrashError extends Error {
  constructor(cause: string) {
    super(`the worker thread running this job stopped unexpectedly (${cause}); a fresh one replaces it`);
    this.name = 'WorkerCrashError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export class WorkerPool {
  readonly threads: number;
  private readonly piscina: Piscina;
  private readonly graceMs: number;
  private crashes = 0;

  constructor(opts: PoolOptions) {
    this.threads = Math.max(1, opts.threads);
    this.graceMs = opts.graceMs ?? 3000;
    this.piscina = new Piscina({
      filename: opts.filename,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      ...(opts.env ? { env: opts.env } : {}),
    });
    // An error with no task attached (a thread dying between tasks) must not take the host down.
    this.piscina.on('error', () => {
      this.crashes++;
    });
  }

  /** Threads that died and were replaced, for the host's diagnostics. */
  get crashCount(): number {
    return this.crashes;
  }

  run<R>(task: WorkerTask, onProgress?: (p: WorkerProgress) => void): TaskHandle<R> {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const abort = new AbortController();
    let cancelled = false;
    let forceTimer: NodeJS.Timeout | undefined;
    let ended!: () => void;
    // The result comes back on piscina's port, progress on ours: wait for the task's
    // 'end' message so that no progress is lost or arrives after the result.
    const allReported = new Promise<void>((resolve) => (ended = resolve));
    port1.on('message', (m: WorkerProgress) => {
      if (m.kind === 'end') ended();
      else onProgress?.(m);
    });

    const result = this.piscina
      .run({ task, port: port2, cancelFlag: flag }, { transferList: [port2 as unknown as MessagePort], signal: abort.signal })
      .then(
        async (r: R) => {
          await Promise.race([allReported, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
          return r;
        },
        (err: unknown) => {
          if (cancelled) throw new CancelledError();
          const e = err as Error;
          if (e?.name === 'AbortError') throw new CancelledError();
          if (/worker exited|terminated/i.test(e?.message ?? '')) {
            this.crashes++;
            throw new WorkerCrashError(e.message);
          }
          throw err;
        },
      )
      .finally(() => {
        if (forceTimer) clearTimeout(forceTimer);
        port1.close();
      });

    return {
      result,
      get cancelled() {
        return cancelled;
      },
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        Atomics.store(flag, 0, 1);
        forceTimer = setTimeout(() => abort.abort(), this.graceMs);
        forceTimer.unref();
      },
    };
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
