// The Sweeps view's state: the sweep being drafted (axes over the builder's
// problem, seeds, sample, budget, where it runs), its run count from the host,
// the list of sweeps (fed by 'sweep' events) and the one opened.
import type { SweepDetail, SweepField, SweepMeta, SweepPreview } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import type { Slice } from './types.js';

export interface AxisDraft {
  path: string;
  mode: 'list' | 'range';
  /** Comma-separated values (numbers, true/false, or words). */
  list: string;
  from: string;
  to: string;
  steps: string;
  scale: 'linear' | 'log';
  integer: boolean;
}

export interface SweepDraft {
  axes: AxisDraft[];
  /** "0, 1, 2" or "0-9". */
  seeds: string;
  sample: boolean;
  sampleCount: string;
  sampleSeed: string;
  budget: string;
  /** A Redis URL, or '' for this machine's pool. */
  queue: string;
}

export interface SweepsSlice {
  sweeps: Record<string, SweepMeta>;
  sweepFields: SweepField[];
  sweepDraft: SweepDraft;
  sweepPreview: SweepPreview | null;
  openSweepId: string | null;
  sweepDetail: SweepDetail | null;
  loadSweeps(): Promise<void>;
  loadSweepFields(): Promise<void>;
  setSweepDraft(patch: Partial<SweepDraft>): void;
  setAxis(i: number, patch: Partial<AxisDraft>): void;
  addAxis(): void;
  removeAxis(i: number): void;
  previewSweep(): Promise<void>;
  startSweep(): Promise<void>;
  openSweep(sweepId: string | null): Promise<void>;
  cancelSweep(sweepId: string): Promise<void>;
  deleteSweep(sweepId: string): Promise<void>;
  exportSweep(sweepId: string, format: 'csv' | 'json'): Promise<void>;
  applySweep(meta: SweepMeta): void;
}

const QUEUE_KEY = 'sparse-ad-lab.sweep-queue';

function savedQueue(): string {
  try {
    return localStorage.getItem(QUEUE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** "0-3, 7" → [0, 1, 2, 3, 7]; throws with the offending part. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (m) {
      const [a, b] = [Number(m[1]), Number(m[2])];
      if (b < a || b - a > 10_000) throw new Error(`seeds: ${part} is not a range a..b`);
      for (let s = a; s <= b; s++) out.push(s);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else throw new Error(`seeds: ${JSON.stringify(part)} is not a seed (use 0, 1, 2 or 0-9)`);
  }
  return out;
}

function parseValue(text: string): number | string | boolean {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/** The draft as a sweep file over `graph` (what the host validates and runs). */
export function draftToSweep(draft: SweepDraft, graph: unknown): Record<string, unknown> {
  const axes: Record<string, unknown> = {};
  for (const a of draft.axes) {
    if (!a.path) continue;
    axes[a.path] =
      a.mode === 'list'
        ? a.list.split(',').map((v) => v.trim()).filter(Boolean).map(parseValue)
        : { from: Number(a.from), to: Number(a.to), steps: Number(a.steps), scale: a.scale, integer: a.integer };
  }
  return {
    version: 1,
    base: graph,
    seeds: parseSeeds(draft.seeds),
    axes,
    ...(draft.sample ? { sample: { count: Number(draft.sampleCount), seed: Number(draft.sampleSeed) } } : {}),
    budget: Number(draft.budget),
  };
}

const newAxis = (path = ''): AxisDraft => ({ path, mode: 'list', list: '', from: '', to: '', steps: '5', scale: 'linear', integer: false });

let detailTimer: ReturnType<typeof setTimeout> | null = null;

export const createSweepsSlice: Slice<SweepsSlice> = (set, get) => ({
  sweeps: {},
  sweepFields: [],
  sweepDraft: { axes: [], seeds: '0, 1, 2, 3', sample: false, sampleCount: '10', sampleSeed: '0', budget: '1000', queue: savedQueue() },
  sweepPreview: null,
  openSweepId: null,
  sweepDetail: null,

  async loadSweeps() {
    try {
      const list = await api.listSweeps({});
      set({ sweeps: Object.fromEntries(list.map((m) => [m.sweepId, m])) });
    } catch (e) {
      get().notify('error', `Sweeps: ${(e as Error).message}`);
    }
  },

  async loadSweepFields() {
    try {
      set({ sweepFields: await api.sweepFields({ graph: get().currentGraph() }) });
      void get().previewSweep();
    } catch (e) {
      get().notify('error', `Sweeps: the problem's fields: ${(e as Error).message}`);
    }
  },

  setSweepDraft(patch) {
    if (patch.queue !== undefined) {
      try {
        localStorage.setItem(QUEUE_KEY, patch.queue);
      } catch {
        // no storage (a private window): the setting lasts this session
      }
    }
    set((s) => ({ sweepDraft: { ...s.sweepDraft, ...patch } }));
    void get().previewSweep();
  },
  setAxis(i, patch) {
    set((s) => ({ sweepDraft: { ...s.sweepDraft, axes: s.sweepDraft.axes.map((a, k) => (k === i ? { ...a, ...patch } : a)) } }));
    void get().previewSweep();
  },
  addAxis() {
    const used = new Set(get().sweepDraft.axes.map((a) => a.path));
    const next = get().sweepFields.find((f) => !used.has(f.path));
    set((s) => ({ sweepDraft: { ...s.sweepDraft, axes: [...s.sweepDraft.axes, newAxis(next?.path ?? '')] } }));
    void get().previewSweep();
  },
  removeAxis(i) {
    set((s) => ({ sweepDraft: { ...s.sweepDraft, axes: s.sweepDraft.axes.filter((_, k) => k !== i) } }));
    void get().previewSweep();
  },

  async previewSweep() {
    let sweep;
    try {
      sweep = draftToSweep(get().sweepDraft, get().currentGraph());
    } catch (e) {
      set({ sweepPreview: { ok: false, runs: 0, configs: 0, axes: [], error: (e as Error).message } });
      return;
    }
    try {
      set({ sweepPreview: await api.previewSweep({ sweep }) });
    } catch (e) {
      set({ sweepPreview: { ok: false, runs: 0, configs: 0, axes: [], error: (e as Error).message } });
    }
  },

  async startSweep() {
    const { sweepDraft } = get();
    try {
      const sweep = draftToSweep(sweepDraft, get().currentGraph());
      const meta = await api.startSweep({ sweep, ...(sweepDraft.queue.trim() ? { queue: sweepDraft.queue.trim() } : {}) });
      get().applySweep(meta);
      await get().openSweep(meta.sweepId);
    } catch (e) {
      get().notify('error', `Sweep not started: ${(e as Error).message}`);
    }
  },

  async openSweep(sweepId) {
    set({ openSweepId: sweepId, ...(sweepId === null ? { sweepDetail: null } : {}) });
    if (sweepId === null) return;
    try {
      const d = await api.getSweep({ sweepId });
      if (get().openSweepId === sweepId) set({ sweepDetail: d });
    } catch (e) {
      get().notify('error', `Sweep ${sweepId}: ${(e as Error).message}`);
    }
  },

  async cancelSweep(sweepId) {
    try {
      await api.cancelSweep({ sweepId });
    } catch (e) {
      get().notify('error', `Cancel: ${(e as Error).message}`);
    }
  },

  async deleteSweep(sweepId) {
    try {
      await api.deleteSweep({ sweepId });
      set((s) => {
        const sweeps = { ...s.sweeps };
        delete sweeps[sweepId];
        return { sweeps, ...(s.openSweepId === sweepId ? { openSweepId: null, sweepDetail: null } : {}) };
      });
    } catch (e) {
      get().notify('error', `Delete: ${(e as Error).message}`);
    }
  },

  async exportSweep(sweepId, format) {
    try {
      const { fileName, text } = await api.exportSweep({ sweepId, format });
      const url = URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      get().notify('error', `Export: ${(e as Error).message}`);
    }
  },

  applySweep(meta) {
    const before = get().sweeps[meta.sweepId];
    set((s) => ({ sweeps: { ...s.sweeps, [meta.sweepId]: meta } }));
    const s = get();
    if (s.openSweepId !== meta.sweepId) return;
    if (s.sweepDetail && before && before.recorded === meta.recorded && before.status === meta.status) {
      set({ sweepDetail: { ...s.sweepDetail, meta } });
      return;
    }
    // New rows: fetch the grouped detail again, at most every 500 ms.
    if (detailTimer) return;
    detailTimer = setTimeout(() => {
      detailTimer = null;
      void get().openSweep(meta.sweepId);
    }, 500);
  },
});
