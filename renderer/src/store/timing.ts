// Timing view: studies (live and saved), the request being set up, exports.
import type { ReportFormat, TimingRequest, TimingSummary } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import type { Slice } from './types.js';

export interface TimingSlice {
  timings: Record<string, TimingSummary>;
  activeTimingId: string | null;
  timingRequest: TimingRequest;
  setTimingRequest(r: TimingRequest): void;
  runTiming(): Promise<void>;
  cancelTiming(): Promise<void>;
  selectTiming(id: string | null): void;
  loadTimings(): Promise<void>;
  applyTiming(t: TimingSummary): void;
  exportReport(format: ReportFormat): Promise<void>;
  exportPdf(): Promise<void>;
}

/** Saves text as a file through the browser's download (the app shows a save dialog for it). */
function download(fileName: string, mimeType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const createTimingSlice: Slice<TimingSlice> = (set, get) => ({
  timings: {},
  activeTimingId: null,
  timingRequest: { kind: 'suite', quick: true, peers: true, sweep: true },

  setTimingRequest: (timingRequest) => set({ timingRequest }),

  async runTiming() {
    try {
      const { timingId } = await api.runTiming({ request: get().timingRequest });
      set({ activeTimingId: timingId });
    } catch (e) {
      get().notify('error', `Run timing: ${(e as Error).message}`);
    }
  },

  async cancelTiming() {
    const id = get().activeTimingId;
    if (!id) return;
    const job = Object.values(get().jobs).find((j) => j.timingId === id && j.kind === 'run-timing' && (j.state === 'running' || j.state === 'queued'));
    if (job) await api.cancel({ jobId: job.id }).catch((e: Error) => get().notify('error', e.message));
  },

  selectTiming: (id) => set({ activeTimingId: id }),

  async loadTimings() {
    const list = await api.listTimings({});
    set((s) => {
      const timings = { ...s.timings };
      for (const t of list) timings[t.id] = t;
      return { timings };
    });
  },

  applyTiming: (t) => set((s) => ({ timings: { ...s.timings, [t.id]: t } })),

  async exportReport(format) {
    const id = get().activeTimingId;
    if (!id) return;
    try {
      const r = await api.exportReport({ timingId: id, format });
      download(r.fileName, r.mimeType, r.text);
      get().notify('info', `Exported ${format.toUpperCase()} (also saved to ${r.savedPath})`);
    } catch (e) {
      get().notify('error', `Export ${format.toUpperCase()}: ${(e as Error).message}`);
    }
  },

  async exportPdf() {
    const id = get().activeTimingId;
    if (!id) return;
    try {
      const r = await api.exportPdf({ timingId: id });
      get().notify('info', `Saved PDF to ${r.savedPath}`);
    } catch (e) {
      get().notify('error', `Export PDF: ${(e as Error).message}`);
    }
  },
});
