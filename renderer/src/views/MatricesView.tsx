// Matrices: open files (input or drop anywhere), generate matrices, the list
// with statistics (a bad file shows its error beside its name), and the
// selected matrix's statistics and spy plot.
import { useState, type FormEvent } from 'react';
import type { GeneratorParams, MatrixSummary } from '../../../electron/common/lab-api.js';
import { SpyPlot } from '../components/SpyPlot.js';
import { fmtBytes, fmtInt, fmtNum, fmtSeconds } from '../lib/format.js';
import { useLab } from '../store/index.js';

type GenKind = GeneratorParams['kind'];

function GeneratorForm() {
  const generate = useLab((s) => s.generate);
  const [kind, setKind] = useState<GenKind>('poisson2d');
  const [n, setN] = useState('1000');
  const [nx, setNx] = useState('64');
  const [ny, setNy] = useState('64');
  const [rows, setRows] = useState('2000');
  const [cols, setCols] = useState('2000');
  const [density, setDensity] = useState('0.002');
  const [seed, setSeed] = useState('1');
  const [error, setError] = useState<string | null>(null);

  const int = (label: string, text: string, min = 1): number => {
    const v = Number(text);
    if (!/^\d+$/.test(text.trim()) || v < min) throw new Error(`${label}: expected a whole number ≥ ${min}`);
    return v;
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    try {
      let params: GeneratorParams;
      if (kind === 'poisson1d') params = { kind, n: int('n', n) };
      else if (kind === 'poisson2d') params = { kind, nx: int('nx', nx), ny: int('ny', ny) };
      else {
        const d = Number(density);
        if (!(d > 0 && d <= 1)) throw new Error('density: expected a number in (0, 1]');
        params = { kind, rows: int('rows', rows), cols: int('cols', cols), density: d, seed: int('seed', seed, 0) };
      }
      setError(null);
      void generate(params);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const field = (label: string, value: string, set: (v: string) => void, id: string) => (
    <label htmlFor={id}>
      {label}
      <input id={id} inputMode="decimal" value={value} onChange={(e) => set(e.target.value)} aria-invalid={!!error} />
    </label>
  );
  return (
    <form className="card generator" onSubmit={submit} aria-label="Generate a matrix">
      <h2>Generate</h2>
      <label htmlFor="gen-kind">
        Generator
        <select id="gen-kind" value={kind} onChange={(e) => setKind(e.target.value as GenKind)}>
          <option value="poisson1d">1-D Poisson</option>
          <option value="poisson2d">2-D Poisson</option>
          <option value="random">Random sparse</option>
        </select>
      </label>
      <div className="row">
        {kind === 'poisson1d' ? field('n', n, setN, 'gen-n') : null}
        {kind === 'poisson2d' ? (
          <>
            {field('nx', nx, setNx, 'gen-nx')}
            {field('ny', ny, setNy, 'gen-ny')}
          </>
        ) : null}
        {kind === 'random' ? (
          <>
            {field('rows', rows, setRows, 'gen-rows')}
            {field('cols', cols, setCols, 'gen-cols')}
            {field('density', density, setDensity, 'gen-density')}
            {field('seed', seed, setSeed, 'gen-seed')}
          </>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit">Generate</button>
    </form>
  );
}

function yesNo(v: boolean | null | undefined): string {
  return v === null || v === undefined ? 'unknown' : v ? 'yes' : 'no';
}

function MatrixRow({ m, selected, onSelect, onRemove }: { m: MatrixSummary; selected: boolean; onSelect(): void; onRemove(): void }) {
  return (
    <tr className={selected ? 'selected' : undefined} aria-selected={selected}>
      <td>
        <button type="button" className="link" onClick={onSelect} disabled={m.state !== 'ready'} aria-label={`Show ${m.name}`}>
          {m.name}
        </button>
        {m.state === 'loading' ? <span className="muted"> loading…</span> : null}
        {m.state === 'failed' ? (
          <span className="matrix-error" role="alert">
            {m.error}
          </span>
        ) : null}
      </td>
      <td>{m.rows !== undefined ? `${fmtInt(m.rows)} × ${fmtInt(m.cols)}` : '—'}</td>
      <td>{fmtInt(m.nnz)}</td>
      <td>{m.stats ? yesNo(m.stats.numericSymmetric) : '—'}</td>
      <td>{m.stats ? yesNo(m.stats.spd.likely) : '—'}</td>
      <td>
        <button type="button" className="small" onClick={onRemove} aria-label={`Remove ${m.name}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}

function Statistics({ m }: { m: MatrixSummary }) {
  const s = m.stats;
  if (!s) return null;
  const items: [string, string][] = [
    ['Shape', `${fmtInt(s.rows)} × ${fmtInt(s.cols)}`],
    ['Stored entries (nnz)', fmtInt(s.nnz)],
    ['Explicit zeros', fmtInt(s.explicitZeros)],
    ['Density', fmtNum(s.density, 3)],
    ['Pattern symmetric', `${yesNo(s.patternSymmetric)}${s.patternSymmetry !== null ? ` (${fmtNum(s.patternSymmetry, 3)})` : ''}`],
    ['Numerically symmetric', `${yesNo(s.numericSymmetric)}${s.numericSymmetry !== null ? ` (${fmtNum(s.numericSymmetry, 3)})` : ''}`],
    ['Diagonal entries', `${fmtInt(s.diagonalNnz)} stored, ${fmtInt(s.zeroDiagonals)} zero or missing`],
    ['Bandwidth', `lower ${fmtInt(s.bandwidth.lower)}, upper ${fmtInt(s.bandwidth.upper)}`],
    ['Row length', `min ${fmtInt(s.rowLength.min)}, mean ${fmtNum(s.rowLength.mean, 3)}, max ${fmtInt(s.rowLength.max)}`],
    ['Empty rows', fmtInt(s.emptyRows)],
    ['SPD', `${yesNo(s.spd.likely)}${s.spd.certain ? '' : ' (hint)'} — ${s.spd.reason}`],
  ];
  if (m.header) items.push(['File', `${m.header.format} ${m.header.field} ${m.header.symmetry}${m.header.duplicates ? `, ${fmtInt(m.header.duplicates)} duplicates summed` : ''}`]);
  items.push(['In memory (CSR)', fmtBytes(m.bytes)], ['Loaded in', fmtSeconds(m.loadSeconds)]);
  return (
    <dl className="stats" aria-label={`Statistics of ${m.name}`}>
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function MatricesView() {
  const order = useLab((s) => s.matrixOrder);
  const matrices = useLab((s) => s.matrices);
  const selectedId = useLab((s) => s.selectedMatrixId);
  const spy = useLab((s) => (s.selectedMatrixId ? s.spy[s.selectedMatrixId] : undefined));
  const openFiles = useLab((s) => s.openFiles);
  const select = useLab((s) => s.selectMatrix);
  const remove = useLab((s) => s.removeMatrix);
  const selected = selectedId ? matrices[selectedId] : undefined;

  return (
    <div className="columns">
      <div className="col">
        <section className="card open" aria-label="Open matrices">
          <h2>Open</h2>
          <input
            id="open-files"
            type="file"
            multiple
            accept=".mtx,.gz,.mtx.gz"
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = '';
              void openFiles(files);
            }}
          />
          <label htmlFor="open-files" className="file-button">
            Open matrix files
          </label>
          <p className="muted">…or drop .mtx / .mtx.gz files anywhere in the window.</p>
        </section>
        <GeneratorForm />
        <section className="card" aria-label="Loaded matrices">
          <h2>Loaded matrices</h2>
          {order.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <table className="matrix-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Shape</th>
                  <th scope="col">nnz</th>
                  <th scope="col">Symmetric</th>
                  <th scope="col">SPD</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {order.map((id) => {
                  const m = matrices[id];
                  return m ? <MatrixRow key={id} m={m} selected={id === selectedId} onSelect={() => select(id)} onRemove={() => void remove(id)} /> : null;
                })}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <div className="col">
        <section className="card" aria-label="Selected matrix">
          {selected && selected.state === 'ready' ? (
            <>
              <h2>{selected.name}</h2>
              <div className="matrix-detail">
                <Statistics m={selected} />
                {spy && 'counts' in spy ? <SpyPlot grid={spy} name={selected.name} nnz={selected.nnz ?? 0} /> : spy && 'error' in spy ? <p className="matrix-error">{spy.error}</p> : <p className="muted">binning…</p>}
              </div>
            </>
          ) : (
            <p className="muted">Open or generate a matrix, then pick it in the list to see its statistics and spy plot.</p>
          )}
        </section>
      </div>
    </div>
  );
}
