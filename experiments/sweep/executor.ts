// Where a sweep's runs execute: the local pool (the default, no Redis needed) or
// BullMQ jobs on a Redis that `npm run worker` processes on any machine consume.
// Both hand each run to the same code (job.ts through pool-worker.ts) and report
// each run's row exactly once, keyed by its index: a row that arrives again (a
// retried job's late duplicate, a restart that finds a job already recorded) is
// dropped, and the indices in `done` are never run again.
import { availableParallelism } from 'node:os';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ExpandedSweep } from './expand.js';
import type { RunProgress, RunRow, SweepJob } from './job.js';
import { RunPool } from './pool.js';
import { ATTEMPTS, cancelKeyOf, checkSweepId, connectionOf, jobIdOf, QUEUE_NAME, redactUrl, redisOf } from './queue.js';

export interface SweepRunOptions {
  /** Run indices already recorded (a resumed sweep): not run again, not reported again. */
  done?: ReadonlySet<number>;
  /** Where relative data paths resolve on the machine that runs a job. */
  dataDir?: string;
  signal?: AbortSignal;
  /**
   * Stops collecting without cancelling (the lab closing): queue jobs stay and a later
   * call with the same sweep id collects them; local runs stop and run again then.
   */
  detach?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Called once per run index, as its row is recorded. */
  onRow?: (row: RunRow) => void;
  /** Plain-words status (e.g. waiting for workers). */
  onStatus?: (text: string) => void;
}

export interface SweepOutcome {
  /** The rows recorded by this call, in the order they finished. */
  rows: RunRow[];
  cancelled: boolean;
  /** Stopped through `detach`: the sweep is not finished, nor cancelled. */
  detached: boolean;
}

export interface RunExecutor {
  readonly kind: 'local' | 'queue';
  /** Where: `local pool (N threads)` or the Redis URL with its password hidden. */
  readonly where: string;
  runSweep(sweepId: string, sweep: ExpandedSweep, opts?: SweepRunOptions): Promise<SweepOutcome>;
  close(): Promise<void>;
}

/** The queue named on the command line, else $SPARSE_AD_QUEUE, else none (the local pool). */
export function queueFromEnv(flag?: string): string | undefined {
  return flag || process.env.SPARSE_AD_QUEUE || undefined;
}

export function createExecutor(opts: { queue?: string | undefined; concurrency?: number; threads?: number } = {}): RunExecutor {
  return opts.queue ? new QueueExecutor(opts.queue) : new LocalExecutor(opts);
}

function jobOf(sweepId: string, sweep: ExpandedSweep, index: number, dataDir?: string): SweepJob {
  const r = sweep.runs[index]!;
  return {
    sweepId,
    index,
    config: r.config,
    axes: r.axes,
    seed: r.seed,
    graph: r.graph,
    ...(dataDir ? { dataDir } : {}),
    ...(sweep.specDir ? { specDir: sweep.specDir } : {}),
  };
}

function failedRow(job: Pick<SweepJob, 'index' | 'config' | 'axes' | 'seed'>, error: string, worker: string, attempts: number): RunRow {
  return { index: job.index, config: job.config, axes: job.axes, seed: job.seed, summary: {}, curves: {}, worker, seconds: 0, attempts, error };
}

/** Records each index once and says when all are in. */
class Recorder {
  readonly rows: RunRow[] = [];
  readonly pending: Set<number>;
  private readonly seen: Set<number>;
  constructor(
    total: number,
    done: ReadonlySet<number>,
    private readonly onRow?: (row: RunRow) => void,
  ) {
    this.seen = new Set(done);
    this.pending = new Set([...Array(total).keys()].filter((i) => !done.has(i)));
  }
  record(row: RunRow): boolean {
    if (this.seen.has(row.index)) return false;
    this.seen.add(row.index);
    this.pending.delete(row.index);
    this.rows.push(row);
    this.onRow?.(row);
    return true;
  }
}

// ---------------------------------------------------------------------------

export class LocalExecutor implements RunExecutor {
  readonly kind = 'local';
  readonly where: string;
  private pool: RunPool | undefined;
  constructor(private readonly opts: { concurrency?: number; threads?: number } = {}) {
    this.where = `local pool (${opts.concurrency ?? availableParallelism()} at once)`;
  }

  async runSweep(sweepId: string, sweep: ExpandedSweep, opts: SweepRunOptions = {}): Promise<SweepOutcome> {
    this.pool ??= new RunPool(this.opts);
    const pool = this.pool;
    const rec = new Recorder(sweep.runs.length, opts.done ?? new Set(), opts.onRow);
    const handles = [...rec.pending].map((index) => {
      const job = jobOf(sweepId, sweep, index, opts.dataDir);
      const h = pool.run(job, 'local', opts.onProgress);
      return { job, h };
    });
    let cancelled = false;
    let detached = false;
    const onAbort = (): void => {
      cancelled = true;
      for (const { h } of handles) h.cancel();
    };
    const onDetach = (): void => {
      detached = true;
      for (const { h } of handles) h.cancel();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.detach?.addEventListener('abort', onDetach, { once: true });
    if (opts.signal?.aborted) onAbort();
    if (opts.detach?.aborted) onDetach();
    await Promise.all(
      handles.map(({ job, h }) =>
        h.result.then(
          (row) => void rec.record(row),
          (e: unknown) => {
            if (!cancelled && !detached) rec.record(failedRow(job, (e as Error)?.message ?? String(e), 'local', 1));
          },
        ),
      ),
    );
    opts.signal?.removeEventListener('abort', onAbort);
    opts.detach?.removeEventListener('abort', onDetach);
    return { rows: rec.rows, cancelled, detached: detached && !cancelled };
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}

// ---------------------------------------------------------------------------

export class QueueExecutor implements RunExecutor {
  readonly kind = 'queue';
  readonly where: string;
  private queue: Queue | undefined;
  private events: QueueEvents | undefined;
  private redis: Redis | undefined;

  constructor(
    private readonly url: string,
    /** How often the executor reads the state of its unfinished jobs (events may be missed across a Redis restart). */
    private readonly reconcileMs = 1000,
  ) {
    this.where = redactUrl(url);
    connectionOf(url);
  }

  private async open(): Promise<{ queue: Queue; events: QueueEvents; redis: Redis }> {
    if (!this.queue) {
      this.queue = new Queue(QUEUE_NAME, { connection: connectionOf(this.url) });
      this.events = new QueueEvents(QUEUE_NAME, { connection: connectionOf(this.url) });
      this.redis = redisOf(this.url);
      // Connection errors are retried by ioredis; the sweep waits meanwhile.
      this.queue.on('error', () => {});
      this.events.on('error', () => {});
      this.redis.on('error', () => {});
      await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    }
    return { queue: this.queue, events: this.events!, redis: this.redis! };
  }

  async runSweep(sweepId: string, sweep: ExpandedSweep, opts: SweepRunOptions = {}): Promise<SweepOutcome> {
    checkSweepId(sweepId);
    const { queue, events, redis } = await this.open();
    const rec = new Recorder(sweep.runs.length, opts.done ?? new Set(), opts.onRow);
    const prefix = `${sweepId}.`;
    const indexOf = (jobId: string): number | undefined => (jobId.startsWith(prefix) ? Number(jobId.slice(prefix.length)) : undefined);

    // A job id already in the queue (a resumed sweep) is not added twice: BullMQ ignores an add with a known id.
    const add = async (indices: number[]): Promise<void> => {
      if (!indices.length) return;
      await queue.addBulk(
        indices.map((i) => ({
          name: 'run',
          data: jobOf(sweepId, sweep, i, opts.dataDir),
          opts: { jobId: jobIdOf(sweepId, i), attempts: ATTEMPTS, removeOnComplete: false, removeOnFail: false },
        })),
      );
    };

    /** Records a finished job's row (once), then removes the job: the row is kept, the job is not needed. */
    const settle = async (job: Job<SweepJob, RunRow>): Promise<void> => {
      const state = await job.getState();
      if (state === 'completed') {
        const rv = job.returnvalue as RunRow | string;
        rec.record(typeof rv === 'string' ? (JSON.parse(rv) as RunRow) : rv);
      } else if (state === 'failed') {
        if (job.failedReason === 'cancelled') return;
        rec.record(failedRow(job.data, job.failedReason || 'failed', job.processedBy ?? 'unknown', job.attemptsStarted));
      } else return;
      await job.remove().catch(() => {});
    };

    let busy = false;
    let waitingSaid = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const check = (): void => {
      if (rec.pending.size === 0) resolveDone();
    };
    const reconcile = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const missing: number[] = [];
        // The state alone first (a job's data holds its whole graph); the job itself only once it finished.
        await Promise.all(
          [...rec.pending].map(async (i) => {
            const id = jobIdOf(sweepId, i);
            const state = await queue.getJobState(id);
            if (state === 'unknown') missing.push(i);
            else if (state === 'completed' || state === 'failed') {
              const job = (await Job.fromId(queue, id)) as Job<SweepJob, RunRow> | undefined;
              if (job) await settle(job);
            }
          }),
        );
        // A job that vanished unrecorded (Redis lost it) is added again.
        await add(missing.filter((i) => rec.pending.has(i)));
        if (rec.pending.size && rec.rows.length === 0) {
          const workers = await queue.getWorkersCount();
          if (workers === 0 && !waitingSaid) {
            waitingSaid = true;
            opts.onStatus?.(`waiting for workers: none is connected to ${this.where} (start one with: npm run worker -- --queue <url>)`);
          } else if (workers > 0 && waitingSaid) {
            waitingSaid = false;
            opts.onStatus?.(`${workers} worker${workers === 1 ? '' : 's'} connected`);
          }
        }
      } catch {
        // Redis unreachable for now: the next round tries again.
      } finally {
        busy = false;
        check();
      }
    };

    // A completion event carries the row: recorded without reading the job back (its data holds
    // the whole graph), then the job is removed. A failure is read back: it may still be retried.
    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue?: unknown }): void => {
      if (indexOf(jobId) === undefined) return;
      let row: RunRow | undefined;
      try {
        row = typeof returnvalue === 'string' ? (JSON.parse(returnvalue) as RunRow) : (returnvalue as RunRow | undefined);
      } catch {
        row = undefined; // not a row: read the job back
      }
      if (row && typeof row === 'object' && row.index === indexOf(jobId)) {
        rec.record(row);
        check();
        queue.remove(jobId).catch(() => {});
        return;
      }
      onFailed({ jobId });
    };
    const onFailed = ({ jobId }: { jobId: string }): void => {
      if (indexOf(jobId) === undefined) return;
      void Job.fromId<SweepJob, RunRow>(queue, jobId)
        .then((job) => job && settle(job as Job<SweepJob, RunRow>))
        .catch(() => {})
        .finally(check);
    };
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }): void => {
      if (indexOf(jobId) !== undefined && data && typeof data === 'object') opts.onProgress?.(data as RunProgress);
    };
    events.on('completed', onCompleted);
    events.on('failed', onFailed);
    events.on('progress', onProgress);

    let cancelled = false;
    let detached = false;
    const onAbort = (): void => {
      cancelled = true;
      resolveDone();
    };
    const onDetach = (): void => {
      detached = true;
      resolveDone();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.detach?.addEventListener('abort', onDetach, { once: true });
    const timer = setInterval(() => void reconcile(), this.reconcileMs);
    try {
      await redis.del(cancelKeyOf(sweepId));
      if (opts.detach?.aborted) detached = true;
      else if (!opts.signal?.aborted) {
        await add([...rec.pending]);
        await reconcile();
        await done;
      } else cancelled = true;
    } finally {
      clearInterval(timer);
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
      events.off('progress', onProgress);
      opts.signal?.removeEventListener('abort', onAbort);
      opts.detach?.removeEventListener('abort', onDetach);
    }
    if (cancelled) await this.cancelJobs(sweepId, sweep.runs.length);
    return { rows: rec.rows, cancelled, detached: detached && !cancelled };
  }

  /**
   * Cancels a sweep on the queue: raises its cancel flag (running jobs stop within
   * ~250 ms and fail as 'cancelled'), removes its waiting jobs, then removes the
   * stopped ones, until none of its jobs is left (or `timeoutMs` passes).
   */
  async cancelJobs(sweepId: string, runs: number, timeoutMs = 30_000): Promise<number> {
    const { queue, redis } = await this.open();
    await redis.set(cancelKeyOf(sweepId), '1', 'EX', 24 * 3600);
    const end = Date.now() + timeoutMs;
    let left = runs;
    while (Date.now() < end) {
      left = 0;
      for (let i = 0; i < runs; i++) {
        const job = await Job.fromId(queue, jobIdOf(sweepId, i));
        if (!job) continue;
        const state = await job.getState();
        // An active job is locked by its worker: it fails within a moment, then goes.
        if (state === 'active') left++;
        else await job.remove().catch(() => void left++);
      }
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return left;
  }

  async close(): Promise<void> {
    await Promise.all([this.events?.close(), this.queue?.close()]);
    this.redis?.disconnect();
    this.queue = undefined;
    this.events = undefined;
    this.redis = undefined;
  }
}
