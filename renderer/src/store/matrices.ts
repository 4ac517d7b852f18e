// Matrices view: what is loaded in the compute host (summaries only), the
// selection, and the spy-plot bins of the selected matrix.
import type { GeneratorParams, MatrixSummary, SpyGrid } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import type { Slice } from './types.js';

const MATRIX_FILE = /\.mtx(\.gz)?$/i;

export interface MatricesSlice {
  matrices: Record<string, MatrixSummary>;
  matrixOrder: string[];
  selectedMatrixId: string | null;
  spy: Record<string, SpyGrid | { error: string }>;
  openFiles(files: readonly File[]): Promise<void>;
  generate(params: GeneratorParams): Promise<void>;
  removeMatrix(id: string): Promise<void>;
  selectMatrix(id: string | null): void;
  applyMatrix(m: MatrixSummary): void;
  applyMatrixRemoved(id: string): void;
  reloadMatrices(): Promise<void>;
}

let localId = 0;
/** Matrices this window asked for: shown as soon as they are ready (a failed one stays in the list only). */
const showWhenReady = new Set<string>();

export const createMatricesSlice: Slice<MatricesSlice> = (set, get) => {
  /** A file the host never saw (wrong type, unreadable): listed with its error all the same. */
  const localFailure = (name: string, error: string): void => {
    const id = `local-${++localId}`;
    get().applyMatrix({ id, name, origin: { kind: 'file', path: name }, state: 'failed', error });
  };
  const requestShow = (id: string): void => {
    const m = get().matrices[id];
    if (m?.state === 'ready') get().selectMatrix(id);
    else if (!m || m.state === 'loading') showWhenReady.add(id);
  };
  const loadSpy = async (id: string): Promise<void> => {
    try {
      const grid = await api.spyPlot({ matrixId: id });
      set((s) => ({ spy: { ...s.spy, [id]: grid } }));
    } catch (e) {
      set((s) => ({ spy: { ...s.spy, [id]: { error: (e as Error).message } } }));
    }
  };

  return {
    matrices: {},
    matrixOrder: [],
    selectedMatrixId: null,
    spy: {},

    async openFiles(files) {
      for (const file of files) {
        if (!MATRIX_FILE.test(file.name)) {
          localFailure(file.name, `not a MatrixMarket file: expected a name ending in .mtx or .mtx.gz`);
          continue;
        }
        try {
          const path = await api.fileToPath(file);
          const { matrixId } = await api.openMatrix({ source: { kind: 'path', path } });
          requestShow(matrixId);
        } catch (e) {
          localFailure(file.name, (e as Error).message);
        }
      }
    },

    async generate(params) {
      try {
        const { matrixId } = await api.generateMatrix({ params });
        requestShow(matrixId);
      } catch (e) {
        get().notify('error', `Generate: ${(e as Error).message}`);
      }
    },

    async removeMatrix(id) {
      if (id.startsWith('local-')) get().applyMatrixRemoved(id);
      else await api.removeMatrix({ matrixId: id }).catch((e: Error) => get().notify('error', e.message));
    },

    selectMatrix(id) {
      set({ selectedMatrixId: id });
      if (id && get().matrices[id]?.state === 'ready' && !get().spy[id]) void loadSpy(id);
    },

    applyMatrix(m) {
      set((s) => ({
        matrices: { ...s.matrices, [m.id]: m },
        matrixOrder: s.matrixOrder.includes(m.id) ? s.matrixOrder : [...s.matrixOrder, m.id],
      }));
      if (m.state !== 'loading' && showWhenReady.delete(m.id) && m.state === 'ready') get().selectMatrix(m.id);
      else if (m.state === 'ready' && get().selectedMatrixId === m.id && !get().spy[m.id]) void loadSpy(m.id);
    },

    applyMatrixRemoved(id) {
      set((s) => {
        const matrices = { ...s.matrices };
        delete matrices[id];
        const spy = { ...s.spy };
        delete spy[id];
        return { matrices, spy, matrixOrder: s.matrixOrder.filter((x) => x !== id), selectedMatrixId: s.selectedMatrixId === id ? null : s.selectedMatrixId };
      });
    },

    async reloadMatrices() {
      const list = await api.listMatrices({});
      set((s) => {
        const locals = s.matrixOrder.filter((id) => id.startsWith('local-'));
        const matrices: Record<string, MatrixSummary> = {};
        for (const id of locals) matrices[id] = s.matrices[id]!;
        for (const m of list) matrices[m.id] = m;
        const order = [...list.map((m) => m.id), ...locals];
        return { matrices, matrixOrder: order, spy: {}, selectedMatrixId: s.selectedMatrixId && matrices[s.selectedMatrixId] ? s.selectedMatrixId : null };
      });
      const sel = get().selectedMatrixId;
      if (sel) get().selectMatrix(sel);
    },
  };
};
