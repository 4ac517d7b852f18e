// Jobs: what the compute host is doing, each with a state, progress, an ETA and
// a cancel hook. Listeners hear every state change at once and progress at most
// every `progressIntervalMs` per job (a run reports far more often than a
// screen can use).
import type { JobInfo, JobKind, JobState } from '../common/lab-api.js';

export interface JobQueueOptions {
  progressIntervalMs?: number;
  /** Finished jobs kept for listJobs (default 200). */
  keepFinished?: number;
  now?: () => number;
}

export class Job {
  private cancelHook: (() => void) | undefined;
  private cancelRequested = false;
  private lastEmit = 0;
  private pendingEmit: NodeJS.Timeout | undefined;

  constructor(
    readonly info: JobInfo,
    private readonly queue: JobQueue,
  ) {}

  get id(): string {
    return this.info.id;
  }
  get done(): boolean {
    return this.info.state === 'finished' || this.info.state === 'cancelled' || this.info.state === 'failed';
  }
  get cancelling(): boolean {
    return this.cancelRequested;
  }

  /** What cancel() calls; set it once the work has started. A cancel asked for earlier runs it at once. */
  onCancel(hook: () => void): void {
    this.cancelHook = hook;
    if (this.cancelRequested) hook();
  }

  start(): void {
    if (this.done || this.info.state === 'running') return;
    this.info.state = 'running';
    this.info.startedAt = this.queue.now();
    this.emitNow();
  }

  /** progress in 0..1; the ETA is extrapolated from the time since start unless given. */
  progress(progress: number, message?: string, etaSeconds?: number | null): void {
    if (this.done) return;
    if (this.info.state === 'queued') this.start();
    const p = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
    this.info.progress = p;
    if (message !== undefined) this.info.message = message;
    if (etaSeconds !== undefined && etaSeconds !== null && Number.isFinite(etaSeconds)) this.info.etaSeconds = Math.max(0, etaSeconds);
    else {
      const elapsed = (this.queue.now() - (this.info.startedAt ?? this.queue.now())) / 1000;
      this.info.etaSeconds = p >= 0.01 && elapsed > 0 ? (elapsed * (1 - p)) / p : null;
    }
    this.emitThrottled();
  }

  finish(message?: string): void {
    this.end('finished', { message });
  }

  fail(error: unknown): void {
    this.end('failed', { error: errorText(error) });
  }

  cancelled(message = 'cancelled'): void {
    this.end('cancelled', { message });
  }

  /** Ends the job as cancelled if cancel was asked for, else as finished. */
  complete(message?: string): void {
    if (this.cancelRequested) this.cancelled();
    else this.finish(message);
  }

  private end(state: JobState, extra: { message?: string | undefined; error?: string }): void {
    if (this.done) return;
    this.info.state = state;
    this.info.finishedAt = this.queue.now();
    if (state === 'finished') this.info.progress = 1;
    this.info.etaSeconds = state === 'finished' ? 0 : null;
    if (extra.message !== undefined) this.info.message = extra.message;
    if (extra.error !== undefined) this.info.error = extra.error;
    this.emitNow();
    this.queue.retire(this);
  }

  requestCancel(): boolean {
    if (this.done) return false;
    this.cancelRequested = true;
    if (this.info.state === 'queued' && !this.cancelHook) {
      this.cancelled();
      return true;
    }
    this.cancelHook?.();
    return true;
  }

  private emitNow(): void {
    if (this.pendingEmit) clearTimeout(this.pendingEmit);
    this.pendingEmit = undefined;
    this.lastEmit = this.queue.now();
    this.queue.emit(this.info);
  }

  private emitThrottled(): void {
    const wait = this.lastEmit + this.queue.progressIntervalMs - this.queue.now();
    if (wait <= 0) this.emitNow();
    else if (!this.pendingEmit) {
      this.pendingEmit = setTimeout(() => this.emitNow(), wait);
      this.pendingEmit.unref?.();
    }
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return String(error);
}

export class JobQueue {
  readonly progressIntervalMs: number;
  readonly now: () => number;
  private readonly keepFinished: number;
  private readonly jobs = new Map<string, Job>();
  private readonly finishedOrder: string[] = [];
  private readonly listeners = new Set<(job: JobInfo) => void>();
  private counter = 0;

  constructor(opts: JobQueueOptions = {}) {
    this.progressIntervalMs = opts.progressIntervalMs ?? 100;
    this.keepFinished = opts.keepFinished ?? 200;
    this.now = opts.now ?? Date.now;
  }

  create(kind: JobKind, label: string, refs: Pick<JobInfo, 'matrixId' | 'runId' | 'timingId'> = {}): Job {
    const id = `job-${Date.now().toString(36)}-${(++this.counter).toString(36)}`;
    const job = new Job({ id, kind, label, state: 'queued', progress: 0, etaSeconds: null, createdAt: this.now(), ...refs }, this);
    this.jobs.set(id, job);
    this.emit(job.info);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info }));
  }

  /** Asks a job to stop; false when it is unknown or already over. */
  cancel(id: string): boolean {
    return this.jobs.get(id)?.requestCancel() ?? false;
  }

  /** Fails every job that has not ended (the host process they ran in died). */
  failAll(reason: string): void {
    for (const job of this.jobs.values()) if (!job.done) job.fail(reason);
  }

  onChange(listener: (job: JobInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  emit(info: JobInfo): void {
    const copy = { ...info };
    for (const l of this.listeners) l(copy);
  }

  /** @internal Keeps the last `keepFinished` ended jobs. */
  retire(job: Job): void {
    this.finishedOrder.push(job.id);
    while (this.finishedOrder.length > this.keepFinished) this.jobs.delete(this.finishedOrder.shift()!);
  }
}
