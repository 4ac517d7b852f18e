// One node on the canvas: its kind's title and its id, input ports on the left
// and output ports (with the shape the host inferred) on the right, a line of
// its main fields, and what is wrong with it. Memoised, and the host's verdict
// arrives in the node's own data (store/problem.ts) and the catalogue through a
// context, so a node reads nothing from the store: moving one node of 200
// re-renders one node.
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import type { NodeKindInfo } from '../../../../electron/common/lab-api.js';
import { fmtNum } from '../../lib/format.js';
import { shapeText, type OpNode } from '../../lib/graph-doc.js';

/** The catalogue by kind, given once by the editor (no store subscription per node: 200 nodes, 200 fewer listeners per move). */
export const KindsContext = createContext<Record<string, NodeKindInfo>>({});

export const categoryClass = (category: string): string => `cat-${category.replace(/\s+/g, '-')}`;

function fieldLine(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (parts.length >= 3) break;
    if (typeof v === 'number') parts.push(`${k} ${fmtNum(v, 4)}`);
    else if (typeof v === 'string' && v.length <= 24) parts.push(`${k} ${v}`);
    else if (typeof v === 'boolean') parts.push(`${k} ${v ? 'yes' : 'no'}`);
  }
  return parts.join(' · ');
}

export const OpNodeView = memo(function OpNodeView({ id, data, selected }: NodeProps<OpNode>) {
  const info = useContext(KindsContext)[data.kind];
  const { issue, ports } = data;
  const title = info?.title ?? data.kind;
  return (
    <div className={`op-node ${info ? categoryClass(info.category) : 'cat-unknown'}${issue ? ' has-issue' : ''}${selected ? ' selected' : ''}`} data-kind={data.kind} title={info?.description}>
      <div className="op-head">
        <span className="op-title">{title}</span>
        <span className="op-id">{data.label ?? id}</span>
      </div>
      <div className="op-ports">
        <div className="op-inputs">
          {(info?.inputs ?? []).map((p) => (
            <div className="op-port in" key={p.name}>
              <Handle type="target" position={Position.Left} id={p.name} className={`port-${p.type}`} aria-label={`input ${p.name} of ${id} (${p.type})`} title={`${p.name}: ${p.type}${p.optional ? ', optional' : ''} — ${p.description}`} />
              <span className={p.optional ? 'optional' : undefined}>{p.name}</span>
            </div>
          ))}
        </div>
        <div className="op-outputs">
          {(info?.outputs ?? []).map((p) => (
            <div className="op-port out" key={p.name}>
              <span>
                {p.name}
                {ports?.[p.name] ? <small className="op-shape"> {shapeText(ports[p.name])}</small> : null}
              </span>
              <Handle type="source" position={Position.Right} id={p.name} className={`port-${p.type}`} aria-label={`output ${p.name} of ${id} (${p.type})`} title={`${p.name}: ${p.type} — ${p.description}`} />
            </div>
          ))}
        </div>
      </div>
      <div className="op-fields">{fieldLine(data.fields)}</div>
      {info ? null : <div className="op-issue">unknown node kind "{data.kind}"</div>}
      {issue ? <div className="op-issue">{issue}</div> : null}
    </div>
  );
});
