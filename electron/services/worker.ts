// A pool thread. Loads the engine (and so the addon) once, then runs the
// compute host's tasks. Cancellation arrives as a shared flag, checked between
// steps; progress leaves through the task's own port, batched to ~10 per second.
import { performance } from 'node:perf_hooks';
import type { ParamSnapshot, RunPoint, SeriesInfo } from '../common/lab-api.js';
import * as lab from './lab-functions.js';
import type { LoadedMatrix, RunProblemResult, RunTimingResult, WorkerEnvelope, WorkerProgress, WorkerTask } from './worker-protocol.js';

const TEST_HOOKS = process.env.SPARSE_AD_LAB_TEST_HOOKS === '1';

/** An AbortSignal that fires once the host sets the task's cancel flag (polled every 20 ms and on demand). */
function cancelSignal(flag: Int32Array): { signal: AbortSignal; check(): void; dispose(): void } {
  const controller = new AbortController();
  const check = (): void => {
    if (!controller.signal.aborted && Atomics.load(flag, 0) === 1) controller.abort(new Error('cancelled'));
  };
  const timer = setInterval(check, 20);
  return { signal: controller.signal, check, dispose: () => clearInterval(timer) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Progress that crosses to the host at most every `ms` (a run steps far more often); the last report (p ≥ 1) always does. */
function throttledProgress(post: (m: WorkerProgress) => void, ms: number): (progress: number, message: string, etaSeconds?: number | null) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (progress, message, etaSeconds) => {
    const now = performance.now();
    if (now - last < ms && progress < 1) return;
    last = now;
    post({ kind: 'progress', progress, message, ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  };
}

export default async function runTask({ task, port, cancelFlag }: WorkerEnvelope): Promise<unknown> {
  const post = (m: WorkerProgress): void => port.postMessage(m);
  try {
    return await dispatch(task, post, cancelFlag);
  } finally {
    post({ kind: 'end' });
    port.close();
  }
}

async function dispatch(task: WorkerTask, post: (m: WorkerProgress) => void, flag: Int32Array): Promise<unknown> {
  switch (task.kind) {
    case 'engine-info':
      return lab.engineInfo();
    case 'load-matrix': {
      const { matrix, header } = await lab.readMatrix(task.path, task.name);
      return loaded(matrix, header, task.spyMax);
    }
    case 'generate-matrix': {
      const { matrix, header } = lab.generate(task.params);
      return loaded(matrix, header, task.spyMax);
    }
    case 'spy-plot':
      return lab.spyBins(lab.fromShared(task.csr), task.width, task.height);
    case 'presets':
      return lab.presets();
    case 'validate-spec':
      return lab.validateSpec(task.spec);
    case 'run-problem':
      return runProblem(task, post, flag);
    case 'run-timing':
      return runTiming(task, post, flag);
    case 'export-report':
      return lab.reportText(task.report as Parameters<typeof lab.reportText>[0], task.format);
    case 'test-steps':
    case 'test-hang':
    case 'test-crash':
    case 'test-abort-host':
      if (!TEST_HOOKS) throw new Error(`unknown task '${task.kind}'`);
      return testHook(task, post, flag);
  }
}

function loaded(matrix: import('../../native/lib/index.js').CsrMatrix, header: LoadedMatrix['header'], spyMax: number): LoadedMatrix {
  const stats = lab.statistics(matrix, header);
  const { width, height } = lab.spyGridSize(matrix.rows, matrix.cols, spyMax);
  const spy = lab.spyBins(matrix, width, height);
  const csr = lab.toShared(matrix);
  return { csr, header, stats, spy, bytes: csr.indptr.byteLength + csr.indices.byteLength + csr.values.byteLength };
}

async function runProblem(task: Extract<WorkerTask, { kind: 'run-problem' }>, post: (m: WorkerProgress) => void, flag: Int32Array): Promise<RunProblemResult> {
  const cancel = cancelSignal(flag);
  let points: RunPoint[] = [];
  let params: ParamSnapshot[] = [];
  let lastFlush = 0;
  let started: { method: string; epochs: number; runs: number } | null = null;
  const flush = (): void => {
    if (!points.length && !params.length) return;
    post({ kind: 'run-points', points, params });
    points = [];
    params = [];
    lastFlush = performance.now();
  };
  let series: SeriesInfo[] = [];
  const progress = throttledProgress(post, 100);
  try {
    const out = await lab.runProblem(
      task.spec,
      task.dataDir || undefined,
      {
        start(info) {
          started = info;
        },
        points(p, s, newSeries) {
          if (newSeries) {
            series = newSeries;
            if (started) post({ kind: 'run-start', ...started, series });
          }
          points.push(...p);
          params.push(...s);
          if (performance.now() - lastFlush > 100) flush();
          cancel.check();
        },
        progress,
      },
      cancel.signal,
    );
    flush();
    const s = started as { method: string; epochs: number; runs: number } | null;
    return {
      method: s?.method ?? out.graph.name,
      epochs: s?.epochs ?? out.graph.training.epochs,
      runs: s?.runs ?? out.graph.training.runs,
      series: out.series,
      summary: out.result.summary as unknown as Record<string, unknown>,
      views: out.views,
      probes: out.probes,
      result: out.result,
      spec: out.graph as unknown as Record<string, unknown>,
      cancelled: false,
    };
  } catch (e) {
    flush();
    if (cancel.signal.aborted) {
      const s = started as { method: string; epochs: number; runs: number } | null;
      return { method: s?.method ?? 'unknown', epochs: s?.epochs ?? 0, runs: s?.runs ?? 0, series, summary: {}, views: [], probes: {}, result: null, spec: {}, cancelled: true };
    }
    throw e;
  } finally {
    cancel.dispose();
  }
}

async function runTiming(task: Extract<WorkerTask, { kind: 'run-timing' }>, post: (m: WorkerProgress) => void, flag: Int32Array): Promise<RunTimingResult> {
  const cancel = cancelSignal(flag);
  const report = throttledProgress(post, 100);
  const progress = (p: number, label: string): void => {
    cancel.check();
    report(p, label);
  };
  try {
    const r =
      task.request.kind === 'suite'
        ? await lab.runTimingSuite(task.request, progress, cancel.signal)
        : await lab.runTimingOnMatrix(lab.fromShared(task.matrix!.csr), task.matrix!.name, task.request.op, progress, cancel.signal);
    return { ...r, cancelled: r.report.cancelled };
  } finally {
    cancel.dispose();
  }
}

async function testHook(task: WorkerTask, post: (m: WorkerProgress) => void, flag: Int32Array): Promise<unknown> {
  switch (task.kind) {
    case 'test-steps': {
      for (let i = 0; i < task.steps; i++) {
        if (Atomics.load(flag, 0) === 1) return { completed: i, cancelled: true };
        await sleep(task.stepMs);
        post({ kind: 'progress', progress: (i + 1) / task.steps, message: `step ${i + 1}` });
      }
      return { completed: task.steps, cancelled: false };
    }
    case 'test-hang': {
      const end = Date.now() + task.ms;
      while (Date.now() < end) {
        // busy: ignores the cancel flag, so only the forced abort stops it
      }
      return { completed: true };
    }
    case 'test-crash':
      // Ends this thread abruptly, as a fatal error in a task would.
      process.exit(3);
      break;
    case 'test-abort-host':
      process.kill(process.pid, 'SIGKILL');
      break;
    default:
      break;
  }
  return null;
}
