// The window: a header with the four views as tabs, the open view, notices,
// and a drop target over everything for .mtx / .mtx.gz files.
import { useEffect, useState, type KeyboardEvent } from 'react';
import { store, useLab } from '../store/index.js';
import type { Tab } from '../store/app.js';
import { MatricesView } from './MatricesView.js';
import { ProblemView } from './ProblemView.js';
import { SweepsView } from './SweepsView.js';
import { TimingView } from './TimingView.js';
import { TrainingView } from './TrainingView.js';

const TABS: { id: Tab; label: string }[] = [
  { id: 'matrices', label: 'Matrices' },
  { id: 'problem', label: 'Problem builder' },
  { id: 'sweeps', label: 'Sweeps' },
  { id: 'training', label: 'Training' },
  { id: 'timing', label: 'Timing' },
];

function hasFiles(e: DragEvent): boolean {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
}

/** Files dropped anywhere open as matrices. */
function useWindowDrop(): boolean {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      depth++;
      setOver(true);
    };
    const leave = (): void => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const dragover = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (files.length) {
        store.getState().setTab('matrices');
        void store.getState().openFiles(files);
      }
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', dragover);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', dragover);
      window.removeEventListener('drop', drop);
    };
  }, []);
  return over;
}

function Notices() {
  const notices = useLab((s) => s.notices);
  const dismiss = useLab((s) => s.dismiss);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

function HostStatus() {
  const info = useLab((s) => s.info);
  const running = useLab((s) => Object.values(s.jobs).filter((j) => j.state === 'running' || j.state === 'queued').length);
  if (!info) return <span className="host">connecting…</span>;
  const gpus = 'error' in info.engine ? [] : info.engine.cudaDevices;
  const gpu = gpus.length === 0 ? 'no GPU' : gpus[0]!.emulated ? 'emulated GPU (host memory)' : `${gpus[0]!.name} (sm ${gpus[0]!.computeCapability}, ${(gpus[0]!.totalMemory / 2 ** 30).toFixed(0)} GiB)${gpus.length > 1 ? ` +${gpus.length - 1}` : ''}`;
  const engine = 'error' in info.engine ? `engine error: ${info.engine.error}` : `${info.engine.blas} · ${gpu}`;
  return (
    <span className="host" title={`data folder: ${info.dataDir}`}>
      {info.mode === 'electron' ? 'app' : 'browser mode'} · {info.cpu.cores} cores · {engine} · {running ? `${running} job${running > 1 ? 's' : ''} running` : 'idle'}
    </span>
  );
}

export function App() {
  const tab = useLab((s) => s.tab);
  const setTab = useLab((s) => s.setTab);
  const dropping = useWindowDrop();
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>, i: number): void => {
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(TABS[next]!.id);
    document.getElementById(`tab-${TABS[next]!.id}`)?.focus();
  };
  return (
    <div className="app">
      <header>
        <h1>Sparse AD Lab</h1>
        <nav role="tablist" aria-label="Views">
          {TABS.map((t, i) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <HostStatus />
      </header>
      <Notices />
      <main id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'matrices' ? <MatricesView /> : tab === 'problem' ? <ProblemView /> : tab === 'sweeps' ? <SweepsView /> : tab === 'training' ? <TrainingView /> : <TimingView />}
      </main>
      {dropping ? (
        <div className="drop-overlay" aria-hidden="true">
          Drop .mtx or .mtx.gz files to open them
        </div>
      ) : null}
    </div>
  );
}
