// The parent's side of the compute host: starts it, forwards calls, relays its
// events, and when the process dies (a native crash takes a whole process
// down) fails the jobs that were running in it with a message and starts a
// fresh host. The process itself comes from a launcher: child_process.fork in
// plain Node (forkHost below), utilityProcess.fork in Electron (main.ts).
import { fork } from 'node:child_process';
import type { JobInfo, LabEvent } from '../common/lab-api.js';
import type { FromHost, ToHost } from './host-protocol.js';
import type { WorkerTask } from './worker-protocol.js';

export interface HostChannel {
  post(msg: ToHost): void;
  onMessage(listener: (msg: FromHost) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type HostLauncher = () => HostChannel;

/** Starts host-process as a Node child process (structured-clone messages). */
export function forkHost(opts: { entry: string; env?: NodeJS.ProcessEnv; execArgv?: string[] }): HostLauncher {
  return () => {
    const child = fork(opts.entry, [], {
      serialization: 'advanced',
      env: opts.env ?? process.env,
      execArgv: opts.execArgv ?? process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return {
      post: (msg) => {
        if (child.connected) child.send(msg);
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromHost)),
      onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
      kill: () => child.kill(),
    };
  };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ComputeHostClient {
  private channel: HostChannel | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly liveJobs = new Map<string, JobInfo>();
  private nextId = 1;
  private closing = false;
  private restarts = 0;

  constructor(
    private readonly launch: HostLauncher,
    private readonly opts: { restart?: boolean; maxRestarts?: number } = {},
  ) {}

  /** Starts the host (once); resolves when it says it is ready. */
  start(): Promise<void> {
    this.ready ??= this.spawn();
    return this.ready;
  }

  get restartCount(): number {
    return this.restarts;
  }

  private spawn(): Promise<void> {
    const channel = this.launch();
    this.channel = channel;
    return new Promise<void>((resolve, reject) => {
      let isReady = false;
      channel.onMessage((msg) => {
        if (msg.type === 'ready') {
          isReady = true;
          resolve();
        } else if (msg.type === 'result') {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          if (msg.ok) p.resolve(msg.value);
          else p.reject(new Error(msg.error));
        } else if (msg.type === 'event') {
          this.track(msg.event);
          for (const l of this.listeners) l(msg.event);
        }
      });
      channel.onExit((code, signal) => {
        if (this.channel !== channel) return;
        this.channel = undefined;
        if (!isReady) reject(new Error(`the compute host did not start (exit code ${code}${signal ? `, signal ${signal}` : ''})`));
        this.crashed(code, signal);
      });
    });
  }

  private track(e: LabEvent): void {
    if (e.type !== 'job') return;
    const done = e.job.state === 'finished' || e.job.state === 'failed' || e.job.state === 'cancelled';
    if (done) this.liveJobs.delete(e.job.id);
    else this.liveJobs.set(e.job.id, e.job);
  }

  private crashed(code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const restart = !this.closing && (this.opts.restart ?? true) && this.restarts < (this.opts.maxRestarts ?? 20);
    const reason = `the compute host stopped unexpectedly (${how})${restart ? '; a fresh one was started' : ''}`;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    const now = Date.now();
    for (const job of this.liveJobs.values()) {
      const failed: JobInfo = { ...job, state: 'failed', error: reason, finishedAt: now, etaSeconds: null };
      for (const l of this.listeners) l({ type: 'job', job: failed });
    }
    this.liveJobs.clear();
    if (!restart) return;
    this.restarts++;
    this.ready = this.spawn();
    this.ready.then(
      () => {
        for (const l of this.listeners) l({ type: 'host', state: 'restarted', reason });
      },
      () => undefined,
    );
  }

  async call(method: string, params: unknown): Promise<unknown> {
    await this.start();
    return this.send((id) => ({ type: 'call', id, method, params }));
  }

  /** Runs a test-* task in the host (the host must have test hooks on). */
  async test(task: WorkerTask): Promise<unknown> {
    await this.start();
    return this.send((id) => ({ type: 'test', id, task }));
  }

  private send(make: (id: number) => ToHost): Promise<unknown> {
    const channel = this.channel;
    if (!channel) return Promise.reject(new Error('the compute host is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      channel.post(make(id));
    });
  }

  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the host (asks it to shut down, kills it after a second). */
  async close(): Promise<void> {
    this.closing = true;
    const channel = this.channel;
    if (!channel) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        channel.kill();
        resolve();
      }, 1000);
      channel.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      channel.post({ type: 'shutdown' });
    });
  }
}
