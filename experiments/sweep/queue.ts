// Runs as BullMQ jobs on Redis: the worker side (`npm run worker`) and what both
// sides agree on — the queue's name, job ids (`<sweepId>.<runIndex>`, so a run
// added twice is one job) and the cancel flag of a sweep.
//
// Nothing lost, nothing twice: a job is locked by the worker running it and the
// lock is renewed while the run goes on (the runs themselves execute in a pool
// thread, so the worker's event loop stays free to renew). A worker killed
// mid-run stops renewing; BullMQ's stalled-job check moves the job back to wait
// and another worker starts it from scratch (runs are deterministic per seed).
// A run that fails by itself (bad data, a diverging loss) fails once, with its
// error (UnrecoverableError: retrying would fail the same way); a pool thread
// that died is retried up to ATTEMPTS times.
import { hostname } from 'node:os';
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RunProgress, RunRow, SweepJob } from './job.js';
import { RunPool } from './pool.js';

export const QUEUE_NAME = process.env.SPARSE_AD_QUEUE_NAME || 'sparse-ad-runs';
/** Starts of one job before it is given up (a stall counts as a start). */
export const ATTEMPTS = 3;

export const jobIdOf = (sweepId: string, index: number): string => `${sweepId}.${index}`;
/** Set (with an expiry) when a sweep is cancelled; workers poll it while they run one of its jobs. */
export const cancelKeyOf = (sweepId: string): string => `sparse-ad:sweep-cancel:${sweepId}`;

/** A sweep id usable inside job ids and Redis keys. */
export function checkSweepId(id: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/.test(id)) throw new Error(`sweep id ${JSON.stringify(id)}: use letters, digits, '.', '_' and '-' (at most 128)`);
  return id;
}

/** redis://[:password@]host:port[/db] or rediss://… (TLS); anything else is refused with a message that says so. */
export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue: expected a Redis URL such as redis://127.0.0.1:6379 or rediss://:password@host:6380 but received ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue: expected redis:// or rediss:// (TLS) but received ${u.protocol}//`);
  if (!u.hostname) throw new Error(`--queue: ${JSON.stringify(url)} names no host`);
  return url;
}

/** The URL with its password hidden, for logs and the lab. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/**
 * BullMQ connection options for a URL. ioredis reads AUTH (user:password@) and the
 * db from the URL and turns TLS on for rediss://. `maxRetriesPerRequest: null`:
 * commands wait through a Redis restart instead of failing (BullMQ requires it for workers).
 */
export function connectionOf(url: string): ConnectionOptions {
  checkQueueUrl(url);
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

export function redisOf(url: string): Redis {
  return new Redis(checkQueueUrl(url), { maxRetriesPerRequest: null });
}

export interface QueueWorkerOptions {
  url: string;
  /** Runs at once on this machine (pool threads). Default 1. */
  concurrency?: number;
  /** CPU kernel threads per run (default: cores / concurrency). */
  threads?: number;
  /** Shown in results as who ran a run. Default `<hostname>:<pid>`. */
  name?: string;
  /** How long a job's lock lasts without renewal; a killed worker's job is retried after about this. Default 30 s. */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs. Default 30 s. */
  stalledIntervalMs?: number;
  /** Stalls a job may go through before it is failed. Default 2. */
  maxStalledCount?: number;
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  name: string;
  worker: Worker<SweepJob, RunRow>;
  close(): Promise<void>;
}

/** Joins the queue and runs its jobs until closed. */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const log = opts.log ?? (() => {});
  const pool = new RunPool({ concurrency, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  const redis = redisOf(opts.url);
  redis.on('error', () => {}); // reconnects by itself; a command waits meanwhile

  const processor = async (job: Job<SweepJob, RunRow>, _token?: string, signal?: AbortSignal): Promise<RunRow> => {
    const { sweepId, index } = job.data;
    log(`run ${sweepId} #${index} (attempt ${job.attemptsStarted})`);
    const handle = pool.run(job.data, name, (p: RunProgress) => {
      job.updateProgress(p as never).catch(() => {});
    });
    let cancelled = false;
    const cancel = (): void => {
      cancelled = true;
      handle.cancel();
    };
    signal?.addEventListener('abort', cancel, { once: true });
    // The cancel flag is read as the run starts (not awaited: no round trip before the run) and every 250 ms.
    const look = (): void => void redis.exists(cancelKeyOf(sweepId)).then((n) => n && cancel(), () => {});
    look();
    const poll = setInterval(look, 250);
    try {
      const row = await handle.result;
      log(`done ${sweepId} #${index} in ${row.seconds.toFixed(2)} s`);
      return { ...row, attempts: job.attemptsStarted };
    } catch (e) {
      const msg = (e as Error)?.message ?? String(e);
      if (cancelled) throw new UnrecoverableError('cancelled');
      log(`failed ${sweepId} #${index}: ${msg}`);
      // A pool thread that died (a native crash) may do better elsewhere; an error the run raised will not.
      if (/worker exited|terminated/i.test(msg)) throw new Error(msg);
      throw new UnrecoverableError(msg);
    } finally {
      clearInterval(poll);
      signal?.removeEventListener('abort', cancel);
    }
  };

  const worker = new Worker<SweepJob, RunRow>(QUEUE_NAME, processor, {
    connection: connectionOf(opts.url),
    concurrency,
    name,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 2,
  });
  worker.on('error', (e) => log(`redis: ${e.message}`));
  await worker.waitUntilReady();
  return {
    name,
    worker,
    close: async () => {
      await worker.close();
      await pool.destroy();
      redis.disconnect();
    },
  };
}
