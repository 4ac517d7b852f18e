// The bound store (slices spread into one vanilla store, so actions can be
// called outside React), and the LabApi event stream feeding it, batched per
// animation frame.
import { createStore } from 'zustand/vanilla';
import { useStore as useZustand } from 'zustand';
import type { LabEvent } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import { createAppSlice } from './app.js';
import { createMatricesSlice } from './matrices.js';
import { createProblemSlice } from './problem.js';
import { createRunsSlice } from './runs.js';
import { createSweepsSlice } from './sweeps.js';
import { createTimingSlice } from './timing.js';
import type { LabState } from './types.js';

export type { LabState } from './types.js';

export const store = createStore<LabState>()((...a) => ({
  ...createAppSlice(...a),
  ...createMatricesSlice(...a),
  ...createProblemSlice(...a),
  ...createRunsSlice(...a),
  ...createTimingSlice(...a),
  ...createSweepsSlice(...a),
}));

export function useLab<T>(selector: (s: LabState) => T): T {
  return useZustand(store, selector);
}

function apply(e: LabEvent): void {
  const s = store.getState();
  switch (e.type) {
    case 'job':
      s.applyJob(e.job);
      break;
    case 'matrix':
      s.applyMatrix(e.matrix);
      break;
    case 'matrix-removed':
      s.applyMatrixRemoved(e.matrixId);
      break;
    case 'run':
      s.applyRun(e.run);
      break;
    case 'run-progress':
      s.applyRunProgress(e.runId, e.points, e.params);
      break;
    case 'timing':
      s.applyTiming(e.timing);
      break;
    case 'sweep':
      s.applySweep(e.sweep);
      break;
    case 'host':
      s.notify('error', `${e.reason}. Matrices loaded before are gone; open them again.`);
      void s.reloadMatrices();
      void s.loadRuns();
      void s.loadSweeps();
      break;
  }
}

let queue: LabEvent[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  for (const e of batch) apply(e);
}

/** Starts feeding the store from the host; returns the unsubscribe function. */
export function connectStore(): () => void {
  const off = api.onEvent((e) => {
    queue.push(e);
    if (scheduled) return;
    scheduled = true;
    // A hidden page gets no animation frames; events must still land.
    if (document.hidden) setTimeout(flush, 100);
    else requestAnimationFrame(flush);
  });
  const s = store.getState();
  void s.loadInfo();
  void s.loadCatalogue();
  void s.loadRuns().catch(() => undefined);
  void s.loadTimings().catch(() => undefined);
  void s.reloadMatrices().catch(() => undefined);
  return off;
}
