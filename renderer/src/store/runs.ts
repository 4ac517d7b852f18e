// Training view: runs (live and saved), their per-epoch data, chart options.
// Per-epoch data is kept in mutable arrays outside the immutable state (a GCN
// run appends thousands of points); `runDataVersion` says when it changed.
import type { ParamSnapshot, ParamView, RunMeta, RunPoint } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import { issueWhere } from '../lib/graph-doc.js';
import type { Slice } from './types.js';

export interface RunData {
  /** values[key][run][epoch] */
  values: Record<string, number[][]>;
  /** The latest snapshot of each vector parameter (per name, of the latest run). */
  params: Record<string, ParamSnapshot>;
  views: ParamView[];
  /** Edges with a recorded probe (a finished run's). */
  probeEdges: string[];
}

export interface RunsSlice {
  runs: Record<string, RunMeta>;
  activeRunId: string | null;
  runData: Record<string, RunData>;
  runDataVersion: number;
  logScale: boolean;
  smoothing: number;
  startRun(): Promise<void>;
  cancelRun(): Promise<void>;
  selectRun(id: string | null): Promise<void>;
  deleteRun(id: string): Promise<void>;
  loadRuns(): Promise<void>;
  applyRun(meta: RunMeta): void;
  applyRunProgress(runId: string, points: RunPoint[], params: ParamSnapshot[]): void;
  setLogScale(on: boolean): void;
  setSmoothing(s: number): void;
}

/** Runs whose data stays in memory (the active one and the last few viewed). */
const KEEP_DATA = 4;

function emptyData(): RunData {
  return { values: {}, params: {}, views: [], probeEdges: [] };
}

export function appendPoints(data: RunData, points: readonly RunPoint[], params: readonly ParamSnapshot[]): void {
  for (const p of points) {
    for (const [key, v] of Object.entries(p.values)) {
      const perRun = (data.values[key] ??= []);
      const series = (perRun[p.run] ??= []);
      while (series.length < p.epoch) series.push(Number.NaN);
      series[p.epoch] = v;
    }
  }
  for (const s of params) {
    const prev = data.params[s.name];
    if (!prev || s.run > prev.run || (s.run === prev.run && s.epoch >= prev.epoch)) data.params[s.name] = s;
  }
}

export const createRunsSlice: Slice<RunsSlice> = (set, get) => {
  const order: string[] = [];
  const keep = (id: string): void => {
    const i = order.indexOf(id);
    if (i >= 0) order.splice(i, 1);
    order.push(id);
    while (order.length > KEEP_DATA) {
      const drop = order.shift()!;
      if (drop === get().activeRunId) {
        order.push(drop);
        continue;
      }
      const runData = { ...get().runData };
      delete runData[drop];
      set({ runData });
    }
  };
  const fetchRecord = async (id: string): Promise<void> => {
    const rec = await api.getRun({ runId: id });
    const data = emptyData();
    appendPoints(data, rec.points, rec.params);
    data.views = rec.views;
    data.probeEdges = rec.probeEdges ?? [];
    keep(id);
    set((s) => ({ runData: { ...s.runData, [id]: data }, runDataVersion: s.runDataVersion + 1, runs: { ...s.runs, [id]: rec.meta } }));
  };

  return {
    runs: {},
    activeRunId: null,
    runData: {},
    runDataVersion: 0,
    logScale: true,
    smoothing: 0,

    async startRun() {
      const { fieldErrors, issues } = get();
      const bad = Object.values(fieldErrors)[0] ?? (issues && issues[0] ? `${issueWhere(issues[0])}: ${issues[0].message}` : null);
      if (bad) {
        get().notify('error', `Fix the problem first — ${bad}`);
        return;
      }
      try {
        const { runId } = await api.runProblem({ spec: get().currentGraph() });
        keep(runId);
        set((s) => ({ activeRunId: runId, runData: { ...s.runData, [runId]: s.runData[runId] ?? emptyData() } }));
      } catch (e) {
        get().notify('error', `Run: ${(e as Error).message}`);
      }
    },

    async cancelRun() {
      const id = get().activeRunId;
      const jobId = id ? get().runs[id]?.jobId : undefined;
      if (jobId) await api.cancel({ jobId }).catch((e: Error) => get().notify('error', e.message));
    },

    async selectRun(id) {
      set({ activeRunId: id });
      if (id && !get().runData[id]) await fetchRecord(id).catch((e: Error) => get().notify('error', e.message));
    },

    async deleteRun(id) {
      try {
        await api.deleteRun({ runId: id });
        set((s) => {
          const runs = { ...s.runs };
          delete runs[id];
          const runData = { ...s.runData };
          delete runData[id];
          return { runs, runData, activeRunId: s.activeRunId === id ? null : s.activeRunId };
        });
      } catch (e) {
        get().notify('error', (e as Error).message);
      }
    },

    async loadRuns() {
      const list = await api.listRuns({});
      set((s) => {
        const runs = { ...s.runs };
        for (const m of list) runs[m.id] = m;
        return { runs };
      });
    },

    applyRun(meta) {
      const prev = get().runs[meta.id];
      set((s) => ({ runs: { ...s.runs, [meta.id]: meta } }));
      // A new run: collect its points from the first one on (the call that started it may answer later).
      if (!prev && meta.state === 'running' && !get().runData[meta.id]) {
        keep(meta.id);
        set((s) => ({ runData: { ...s.runData, [meta.id]: emptyData() } }));
      }
      // A run that just ended has its figures (views) now: fetch them if its data is shown.
      if (prev?.state === 'running' && meta.state !== 'running' && get().runData[meta.id]) {
        void fetchRecord(meta.id).catch(() => undefined);
      }
    },

    applyRunProgress(runId, points, params) {
      const data = get().runData[runId];
      if (!data) return; // not shown: the saved record has it when asked for
      appendPoints(data, points, params);
      set((s) => ({ runDataVersion: s.runDataVersion + 1 }));
    },

    setLogScale: (logScale) => set({ logScale }),
    setSmoothing: (smoothing) => set({ smoothing }),
  };
};
