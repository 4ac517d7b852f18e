// App-wide state: the host's description, jobs, the open tab, notices.
import type { JobInfo, LabInfo } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import type { Slice } from './types.js';

export type Tab = 'matrices' | 'problem' | 'sweeps' | 'training' | 'timing';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface AppSlice {
  info: LabInfo | null;
  tab: Tab;
  jobs: Record<string, JobInfo>;
  notices: Notice[];
  setTab(tab: Tab): void;
  loadInfo(): Promise<void>;
  applyJob(job: JobInfo): void;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
}

let noticeId = 0;
const KEEP_JOBS = 100;

export const createAppSlice: Slice<AppSlice> = (set, get) => ({
  info: null,
  tab: 'matrices',
  jobs: {},
  notices: [],
  setTab: (tab) => set({ tab }),
  async loadInfo() {
    try {
      set({ info: await api.info({}) });
    } catch (e) {
      get().notify('error', `Cannot reach the compute host: ${(e as Error).message}`);
    }
  },
  applyJob: (job) =>
    set((s) => {
      const jobs = { ...s.jobs, [job.id]: job };
      // Keep the live jobs and the last KEEP_JOBS that ended.
      const ended = Object.values(jobs).filter((j) => j.finishedAt !== undefined);
      if (ended.length > KEEP_JOBS) for (const j of ended.sort((a, b) => a.finishedAt! - b.finishedAt!).slice(0, ended.length - KEEP_JOBS)) delete jobs[j.id];
      return { jobs };
    }),
  notify(kind, text) {
    const id = ++noticeId;
    set((s) => ({ notices: [...s.notices.slice(-4), { id, kind, text }] }));
    if (kind === 'info') setTimeout(() => get().dismiss(id), 6000);
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
});
