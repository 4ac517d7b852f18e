// The compute host: owns the worker pool, the jobs, the loaded matrices and the
// saved runs and timing studies, and answers LabApi calls (checked against
// their schemas first). It runs in its own process — an Electron
// utilityProcess in the app, a child process in plain Node (host-process.ts) —
// so that nothing it does can freeze or crash the window.
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import type {
  EngineInfo,
  GeneratorParams,
  JobRef,
  LabEvent,
  LabInfo,
  LabMethod,
  LabMethods,
  MatrixSource,
  SpyGrid,
  TimingRequest,
} from '../common/lab-api.js';
import { generatorLabel } from '../common/labels.js';
import { checkCall } from './check-call.js';
import { errorText, type Job, JobQueue } from './jobs.js';
import * as lab from './lab-functions.js';
import { MatrixStore } from './matrix-store.js';
import { CancelledError, WorkerPool } from './pool.js';
import { RunStore } from './run-store.js';
import { TimingStore } from './timing-store.js';
import { saveUpload } from './uploads.js';
import { SweepService } from './sweep-service.js';
import type { LoadedMatrix, RunProblemResult, RunTimingResult, WorkerTask } from './worker-protocol.js';

export interface ComputeHostOptions {
  /** The user's data folder: runs/, timings/ and uploads/ live here. */
  dataDir: string;
  /** The pool's worker module (worker.ts from source, worker.mjs from the bundle). */
  workerFile: string;
  threads: number;
  /** Where relative paths in problem specs resolve (CiteSeer); default: the experiments' own default. */
  experimentsDataDir?: string;
  /** Spy-plot bins on the long side (default 512). */
  spyMax?: number;
  graceMs?: number;
  /** Allow the test-* tasks (crash, hang) through runTestTask. */
  testHooks?: boolean;
}

export class ComputeHost {
  readonly jobs = new JobQueue();
  readonly matrices = new MatrixStore();
  readonly runs: RunStore;
  readonly timings: TimingStore;
  readonly sweeps: SweepService;
  private readonly pool: WorkerPool;
  private readonly spyMax: number;
  private engine: Promise<EngineInfo | { error: string }> | undefined;

  constructor(
    private readonly opts: ComputeHostOptions,
    private readonly emit: (event: LabEvent) => void,
  ) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.runs = new RunStore(join(opts.dataDir, 'runs'));
    this.timings = new TimingStore(join(opts.dataDir, 'timings'));
    this.sweeps = new SweepService(join(opts.dataDir, 'sweeps'), (e) => this.emit(e), { ...(opts.experimentsDataDir ? { dataDir: opts.experimentsDataDir } : {}), concurrency: opts.threads });
    this.spyMax = opts.spyMax ?? 512;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    if (opts.testHooks) env.SPARSE_AD_LAB_TEST_HOOKS = '1';
    this.pool = new WorkerPool({ filename: opts.workerFile, threads: opts.threads, env, ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}) });
    this.jobs.onChange((job) => this.emit({ type: 'job', job }));
  }

  /** Answers one LabApi call, after checking it against its schema. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const c = checkCall(method, params);
    return this.handle(c.method, c.params);
  }

  private async handle(method: LabMethod, params: unknown): Promise<unknown> {
    const p = params as LabMethods[typeof method]['params'];
    switch (method) {
      case 'info':
        return this.info();
      case 'listJobs':
        return this.jobs.list();
      case 'cancel':
        return { cancelled: this.jobs.cancel((p as LabMethods['cancel']['params']).jobId) };
      case 'openMatrix':
        return this.openMatrix((p as LabMethods['openMatrix']['params']).source);
      case 'generateMatrix':
        return this.generateMatrix((p as LabMethods['generateMatrix']['params']).params);
      case 'listMatrices':
        return this.matrices.list();
      case 'removeMatrix': {
        const { matrixId } = p as LabMethods['removeMatrix']['params'];
        const removed = this.matrices.remove(matrixId);
        if (removed) this.emit({ type: 'matrix-removed', matrixId });
        return { removed };
      }
      case 'spyPlot':
        return this.matrices.spy((p as LabMethods['spyPlot']['params']).matrixId) satisfies SpyGrid;
      case 'presets':
        return lab.presets();
      case 'validateSpec':
        return lab.validateSpec((p as LabMethods['validateSpec']['params']).spec);
      case 'graphCatalogue':
        return lab.graphCatalogue();
      case 'templates':
        return lab.templates();
      // Here, not in the pool: it reads at most file headers, and must answer while a run keeps the pool busy.
      case 'validateGraph':
        return lab.validateGraph((p as LabMethods['validateGraph']['params']).graph, this.opts.experimentsDataDir);
      case 'exportTypeScript':
        return lab.exportTypeScript((p as LabMethods['exportTypeScript']['params']).graph);
      case 'runProblem': {
        const { spec, name } = p as LabMethods['runProblem']['params'];
        return this.runProblem(spec, name);
      }
      case 'getProbe': {
        const { runId, edgeId } = p as LabMethods['getProbe']['params'];
        return this.runs.probe(runId, edgeId);
      }
      case 'listRuns':
        return this.runs.list();
      case 'getRun':
        return this.runs.get((p as LabMethods['getRun']['params']).runId);
      case 'deleteRun':
        return { removed: this.runs.delete((p as LabMethods['deleteRun']['params']).runId) };
      case 'runTiming':
        return this.runTiming((p as LabMethods['runTiming']['params']).request);
      case 'listTimings':
        return this.timings.list();
      case 'exportReport': {
        const { timingId, format } = p as LabMethods['exportReport']['params'];
        return this.exportReport(timingId, format);
      }
      case 'exportPdf':
        throw new Error('PDF export needs the app (printToPDF); in the browser, export HTML and print it');
      case 'sweepFields':
        return this.sweeps.fields((p as LabMethods['sweepFields']['params']).graph);
      case 'previewSweep':
        return this.sweeps.preview((p as LabMethods['previewSweep']['params']).sweep);
      case 'startSweep': {
        const { sweep, queue, name } = p as LabMethods['startSweep']['params'];
        return this.sweeps.start(sweep, queue, name);
      }
      case 'listSweeps':
        return this.sweeps.list();
      case 'getSweep':
        return this.sweeps.get((p as LabMethods['getSweep']['params']).sweepId);
      case 'cancelSweep':
        return this.sweeps.cancel((p as LabMethods['cancelSweep']['params']).sweepId);
      case 'deleteSweep':
        return this.sweeps.remove((p as LabMethods['deleteSweep']['params']).sweepId);
      case 'exportSweep': {
        const { sweepId, format } = p as LabMethods['exportSweep']['params'];
        return this.sweeps.export(sweepId, format);
      }
    }
  }

  private async info(): Promise<LabInfo> {
    this.engine ??= this.pool.run<EngineInfo>({ kind: 'engine-info' }).result.catch((e: unknown) => ({ error: errorText(e) }));
    const cpu = cpus();
    return {
      mode: 'browser',
      version: process.env.npm_package_version ?? '0.1.0',
      versions: { node: process.versions.node, v8: process.versions.v8, ...(process.versions.electron ? { electron: process.versions.electron } : {}) },
      platform: `${process.platform} ${process.arch}`,
      cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length },
      memoryBytes: totalmem(),
      engine: await this.engine,
      dataDir: this.opts.dataDir,
      poolThreads: this.pool.threads,
      capabilities: { pdf: false, filePaths: false },
    };
  }

  // -------------------------------------------------------------------------
  // Matrices

  private openMatrix(source: MatrixSource): JobRef & { matrixId: string } {
    let path: string;
    let name: string;
    if (source.kind === 'path') {
      path = source.path;
      name = basename(path);
    } else {
      path = saveUpload(join(this.opts.dataDir, 'uploads'), source.name, source.data);
      name = basename(path);
    }
    return this.loadJob('load-matrix', name, { kind: 'file', path }, { kind: 'load-matrix', path, name, spyMax: this.spyMax });
  }

  private generateMatrix(params: GeneratorParams): JobRef & { matrixId: string } {
    return this.loadJob('generate-matrix', generatorLabel(params), { kind: 'generator', params }, { kind: 'generate-matrix', params, spyMax: this.spyMax });
  }

  private loadJob(kind: 'load-matrix' | 'generate-matrix', name: string, origin: Parameters<MatrixStore['add']>[1], task: WorkerTask): JobRef & { matrixId: string } {
    const t0 = performance.now();
    const job = this.jobs.create(kind, kind === 'load-matrix' ? `Open ${name}` : `Generate ${name}`);
    const summary = this.matrices.add(name, origin, job.id);
    job.info.matrixId = summary.id;
    this.emit({ type: 'matrix', matrix: summary });
    const handle = this.pool.run<LoadedMatrix>(task, (m) => {
      if (m.kind === 'progress') job.progress(m.progress, m.message);
    });
    job.onCancel(() => handle.cancel());
    job.start();
    handle.result.then(
      (r) => {
        const s = this.matrices.ready(
          summary.id,
          { rows: r.csr.rows, cols: r.csr.cols, nnz: r.stats.nnz, header: r.header, stats: r.stats, bytes: r.bytes, loadSeconds: (performance.now() - t0) / 1000 },
          r.csr,
          r.spy,
        );
        if (s) this.emit({ type: 'matrix', matrix: s });
        job.complete();
      },
      (e: unknown) => {
        const s = this.matrices.failed(summary.id, e instanceof CancelledError ? 'cancelled' : errorText(e));
        if (s) this.emit({ type: 'matrix', matrix: s });
        if (e instanceof CancelledError) job.cancelled();
        else job.fail(e);
      },
    );
    return { jobId: job.id, matrixId: summary.id };
  }

  // -------------------------------------------------------------------------
  // Problems

  private async runProblem(spec: unknown, name: string | undefined): Promise<JobRef & { runId: string }> {
    // A graph (or a v1 spec, converted) that does not check out runs nothing; the first issue names where.
    const checked = await lab.validateGraph(spec, this.opts.experimentsDataDir);
    if (!checked.ok) {
      const first = checked.issues[0]!;
      const where = first.edgeId ? `edge "${first.edgeId}"` : first.nodeId ? `node "${first.nodeId}"${first.field ? ` field ${first.field}` : first.port ? ` port ${first.port}` : ''}` : 'graph';
      const more = checked.issues.length > 1 ? ` (and ${checked.issues.length - 1} more)` : '';
      throw new Error(`the problem is not valid: ${where}: ${first.message}${more}`);
    }
    const title = name ?? String(checked.graph.name ?? 'run');
    const job = this.jobs.create('run-problem', `Run ${title}`);
    const meta = this.runs.create(title, checked.graph, job.id);
    job.info.runId = meta.id;
    this.emit({ type: 'run', run: meta });
    const handle = this.pool.run<RunProblemResult>({ kind: 'run-problem', spec: checked.graph, dataDir: this.opts.experimentsDataDir ?? '' }, (m) => {
      if (m.kind === 'progress') job.progress(m.progress, m.message, m.etaSeconds);
      else if (m.kind === 'run-start') this.emit({ type: 'run', run: this.runs.started(meta.id, { method: m.method, epochs: m.epochs, runs: m.runs, series: m.series }) });
      else if (m.kind === 'run-points') {
        this.runs.append(meta.id, m.points, m.params);
        this.emit({ type: 'run-progress', runId: meta.id, points: m.points, params: m.params });
      }
    });
    job.onCancel(() => handle.cancel());
    job.start();
    handle.result.then(
      (r) => {
        if (r.cancelled || handle.cancelled) {
          this.emit({ type: 'run', run: this.runs.finish(meta.id, { state: 'cancelled' }) });
          job.cancelled();
          return;
        }
        // The job's last word (its final epoch) goes out before the run drops its jobId.
        job.finish();
        this.emit({ type: 'run', run: this.runs.finish(meta.id, { state: 'finished', summary: r.summary, views: r.views, probes: r.probes, result: r.result }) });
      },
      (e: unknown) => {
        const cancelled = e instanceof CancelledError;
        this.emit({ type: 'run', run: this.runs.finish(meta.id, cancelled ? { state: 'cancelled' } : { state: 'failed', error: errorText(e) }) });
        if (cancelled) job.cancelled();
        else job.fail(e);
      },
    );
    return { jobId: job.id, runId: meta.id };
  }

  // -------------------------------------------------------------------------
  // Timing and reports

  private runTiming(request: TimingRequest): JobRef & { timingId: string } {
    const matrix = request.kind === 'matrix' ? { name: this.matrices.summary(request.matrixId).name, csr: this.matrices.csr(request.matrixId) } : undefined;
    const t = this.timings.create(request);
    const job = this.jobs.create('run-timing', request.kind === 'suite' ? `Timing suite${request.quick ? ' (quick)' : ''}` : `Time ${request.op} on ${matrix!.name}`, { timingId: t.id });
    this.emit({ type: 'timing', timing: t });
    const handle = this.pool.run<RunTimingResult>({ kind: 'run-timing', request, ...(matrix ? { matrix } : {}) }, (m) => {
      if (m.kind === 'progress') job.progress(m.progress, m.message, m.etaSeconds);
    });
    job.onCancel(() => handle.cancel());
    job.start();
    handle.result.then(
      (r) => {
        const state = r.cancelled || handle.cancelled ? 'cancelled' : 'finished';
        const done = { ...t, state, rows: r.rows, sweeps: r.sweeps, environment: r.environment } as const;
        this.timings.save(done, r.report);
        this.emit({ type: 'timing', timing: done });
        if (state === 'cancelled') job.cancelled();
        else job.finish();
      },
      (e: unknown) => {
        const cancelled = e instanceof CancelledError;
        const done = { ...t, state: cancelled ? ('cancelled' as const) : ('failed' as const), ...(cancelled ? {} : { error: errorText(e) }) };
        this.timings.save(done);
        this.emit({ type: 'timing', timing: done });
        if (cancelled) job.cancelled();
        else job.fail(e);
      },
    );
    return { jobId: job.id, timingId: t.id };
  }

  private async exportReport(timingId: string, format: LabMethods['exportReport']['params']['format']): Promise<LabMethods['exportReport']['result']> {
    const report = this.timings.report(timingId);
    const job = this.jobs.create('export-report', `Export ${format.toUpperCase()}`, { timingId });
    const handle = this.pool.run<{ text: string; mimeType: string }>({ kind: 'export-report', report, format });
    job.onCancel(() => handle.cancel());
    job.start();
    try {
      const { text, mimeType } = await handle.result;
      const savedPath = this.timings.saveExport(timingId, format, text);
      job.finish();
      return { fileName: `${timingId}.${format}`, mimeType, text, savedPath };
    } catch (e) {
      if (e instanceof CancelledError) job.cancelled();
      else job.fail(e);
      throw e;
    }
  }

  // -------------------------------------------------------------------------

  /** Runs a test-* task as a job (only with testHooks): the services tests use it for crash and cancel. */
  runTestTask(task: WorkerTask): { job: Job; result: Promise<unknown> } {
    if (!this.opts.testHooks) throw new Error('test tasks are disabled');
    const job = this.jobs.create('run-problem', `test ${task.kind}`);
    const handle = this.pool.run<unknown>(task, (m) => {
      if (m.kind === 'progress') job.progress(m.progress, m.message);
    });
    job.onCancel(() => handle.cancel());
    job.start();
    const result = handle.result.then(
      (r) => {
        job.complete();
        return r;
      },
      (e: unknown) => {
        if (e instanceof CancelledError) job.cancelled();
        else job.fail(e);
        throw e;
      },
    );
    return { job, result };
  }

  async close(): Promise<void> {
    await this.sweeps.close();
    await this.pool.destroy();
  }
}
