// A thread of the sweep pool: loads the engine once, then runs sweep jobs with
// runSweepJob. Cancellation arrives as a shared flag (polled every 20 ms);
// progress leaves through the task's own port.
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import { setThreads } from '../../native/lib/index.js';
import { runSweepJob, type RunProgress, type RunRow, type SweepJob } from './job.js';

export interface PoolTask {
  job: SweepJob;
  worker: string;
  port: MessagePort;
  cancelFlag: Int32Array;
}

const threads = (workerData as { threads?: number } | undefined)?.threads;
if (threads) setThreads(threads);

export default async function runTask({ job, worker, port, cancelFlag }: PoolTask): Promise<RunRow> {
  const controller = new AbortController();
  // Cancelled while it waited for a thread: do not start it.
  if (Atomics.load(cancelFlag, 0) === 1) controller.abort(new Error('cancelled'));
  const timer = setInterval(() => {
    if (Atomics.load(cancelFlag, 0) === 1) controller.abort(new Error('cancelled'));
  }, 20);
  try {
    return await runSweepJob(job, { worker, signal: controller.signal, onProgress: (p: RunProgress) => port.postMessage(p) });
  } finally {
    clearInterval(timer);
    port.close();
  }
}
