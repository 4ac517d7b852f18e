// Loaded matrices live here, in the compute host, as CSR arrays over
// SharedArrayBuffers (a pool thread reads them without a copy); the renderer
// only ever gets the summary and the spy-plot bins.
import type { MatrixOrigin, MatrixSummary, SpyGrid } from '../common/lab-api.js';
import type { SharedCsr, SpyBins } from './worker-protocol.js';

interface Entry {
  summary: MatrixSummary;
  csr?: SharedCsr;
  spy?: SpyBins;
}

export class MatrixStore {
  private readonly entries = new Map<string, Entry>();
  private counter = 0;

  add(name: string, origin: MatrixOrigin, jobId: string): MatrixSummary {
    const id = `m${(++this.counter).toString(36)}-${Date.now().toString(36)}`;
    const summary: MatrixSummary = { id, name, origin, state: 'loading', jobId };
    this.entries.set(id, { summary });
    return { ...summary };
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ready(id: string, fields: Pick<MatrixSummary, 'rows' | 'cols' | 'nnz' | 'header' | 'stats' | 'loadSeconds' | 'bytes'>, csr: SharedCsr, spy: SpyBins): MatrixSummary | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined; // removed while loading
    e.summary = { ...e.summary, ...fields, state: 'ready' };
    delete e.summary.error;
    e.csr = csr;
    e.spy = spy;
    return { ...e.summary };
  }

  failed(id: string, error: string): MatrixSummary | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    e.summary = { ...e.summary, state: 'failed', error };
    return { ...e.summary };
  }

  list(): MatrixSummary[] {
    return [...this.entries.values()].map((e) => ({ ...e.summary }));
  }

  summary(id: string): MatrixSummary {
    return { ...this.entry(id).summary };
  }

  csr(id: string): SharedCsr {
    const e = this.entry(id);
    if (!e.csr) throw new Error(`matrix '${e.summary.name}' is not loaded (${e.summary.state === 'failed' ? e.summary.error : 'still loading'})`);
    return e.csr;
  }

  spy(id: string): SpyGrid {
    const e = this.entry(id);
    if (!e.spy) throw new Error(`matrix '${e.summary.name}' has no spy plot (${e.summary.state === 'failed' ? e.summary.error : 'still loading'})`);
    return { matrixId: id, rows: e.summary.rows ?? 0, cols: e.summary.cols ?? 0, ...e.spy };
  }

  remove(id: string): boolean {
    return this.entries.delete(id);
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`matrix '${id}' is not loaded (it may have been removed)`);
    return e;
  }
}
