// The palette: every node kind, grouped by category, searchable. Drag an item
// onto the canvas, or focus it and press Enter (or double-click) to add it.
import { useReactFlow } from '@xyflow/react';
import { useMemo, useState, type KeyboardEvent } from 'react';
import type { NodeCategory, NodeKindInfo } from '../../../../electron/common/lab-api.js';
import { useLab } from '../../store/index.js';
import { categoryClass } from './OpNodeView.js';

/** The drag payload's type: a node kind's name. */
export const DND_KIND = 'application/x-sparse-ad-lab-node';

const ORDER: NodeCategory[] = ['sources', 'parameters', 'sparse ops', 'solvers', 'structure', 'dense ops', 'iteration', 'losses', 'outputs'];

export function Palette({ canvas }: { canvas: () => HTMLElement | null }) {
  const catalogue = useLab((s) => s.catalogue);
  const addNode = useLab((s) => s.addNode);
  const rf = useReactFlow();
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const hit = (k: NodeKindInfo): boolean => !q || `${k.kind} ${k.title} ${k.description} ${k.category}`.toLowerCase().includes(q);
    const by = new Map<string, NodeKindInfo[]>();
    for (const k of catalogue) if (hit(k)) (by.get(k.category) ?? by.set(k.category, []).get(k.category)!).push(k);
    return [...by.entries()].sort((a, b) => ORDER.indexOf(a[0] as NodeCategory) - ORDER.indexOf(b[0] as NodeCategory));
  }, [catalogue, query]);
  /** Added without a drop point: at the middle of what the canvas shows. */
  const addAtCentre = (kind: string): void => {
    const r = canvas()?.getBoundingClientRect();
    const at = r ? rf.screenToFlowPosition({ x: r.left + r.width / 2 - 90, y: r.top + r.height / 2 - 40 }) : undefined;
    addNode(kind, at);
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>, kind: string): void => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      addAtCentre(kind);
    }
  };
  return (
    <aside className="palette card" aria-label="Node palette">
      <input type="search" placeholder="Search nodes…" aria-label="Search node kinds" value={query} onChange={(e) => setQuery(e.target.value)} />
      {groups.length === 0 ? <p className="muted">{catalogue.length ? `No node kind matches "${query}"` : 'Loading the catalogue…'}</p> : null}
      {groups.map(([category, kinds]) => (
        <section key={category} aria-label={category}>
          <h3>{category}</h3>
          <ul>
            {kinds.map((k) => (
              <li key={k.kind}>
                <div
                  role="button"
                  tabIndex={0}
                  draggable
                  className={`palette-item ${categoryClass(k.category)}`}
                  data-kind={k.kind}
                  title={`${k.description}\nDrag onto the canvas (onto an output port to feed it from there), or press Enter to add.`}
                  aria-label={`Add ${k.title} (${k.kind})`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DND_KIND, k.kind);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onKeyDown={(e) => onKey(e, k.kind)}
                  onDoubleClick={() => addAtCentre(k.kind)}
                >
                  {k.title}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
