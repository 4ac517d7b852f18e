// The inspector beside the canvas: the selected node's fields (from its kind's
// JSON Schema), the selected edge (its shape, and after a run what flowed on it),
// or, with nothing selected, the graph's training settings.
import type { NodeKindInfo, Training } from '../../../../electron/common/lab-api.js';
import { fieldSpecs, shapeText, type FieldSpec } from '../../lib/graph-doc.js';
import { useLab } from '../../store/index.js';
import { FieldInput } from './FieldInput.js';
import { ProbePanel } from './ProbePanel.js';

const NO_FIELD_ISSUES: Record<string, string> = {};

/** A "use a loaded matrix" shortcut for a field that takes a MatrixMarket path. */
function LoadedMatrixPicker({ onPath }: { onPath(path: string): void }) {
  const order = useLab((s) => s.matrixOrder);
  const all = useLab((s) => s.matrices);
  const files = order.map((id) => all[id]!).filter((m) => m && m.state === 'ready' && m.origin.kind === 'file');
  return (
    <div className="field">
      <label htmlFor="use-loaded">Use a loaded matrix</label>
      <select
        id="use-loaded"
        value=""
        onChange={(e) => {
          const m = files.find((x) => x.id === e.target.value);
          if (m && m.origin.kind === 'file') onPath(m.origin.path);
        }}
      >
        <option value="">{files.length ? 'choose…' : 'none loaded (see Matrices)'}</option>
        {files.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function NodeInspector({ id }: { id: string }) {
  const data = useLab((s) => s.nodes.find((n) => n.id === id)?.data);
  const info: NodeKindInfo | undefined = useLab((s) => (data ? s.kinds[data.kind] : undefined));
  const issue = useLab((s) => s.issueIndex.byNode[id]);
  const fieldIssues = useLab((s) => s.issueIndex.byField[id] ?? NO_FIELD_ISSUES);
  const ports = useLab((s) => s.ports[id]);
  const setNodeField = useLab((s) => s.setNodeField);
  if (!data) return null;
  const specs = fieldSpecs(info);
  return (
    <section className="inspector card" aria-label={`Node ${id}`}>
      <h2>
        {info?.title ?? data.kind} <span className="muted">· {id}</span>
      </h2>
      <p className="muted">{info?.description ?? `"${data.kind}" is not a node kind this lab knows.`}</p>
      {issue ? (
        <p className="field-error" role="alert">
          {issue}
        </p>
      ) : null}
      <div className="inspector-fields">
        {specs.map((f) => (
          <FieldInput key={`${id}/${f.name}`} spec={f} value={data.fields[f.name]} errorKey={`${id}/${f.name}`} hostIssue={fieldIssues[f.name]} onValue={(v) => setNodeField(id, f.name, v)} />
        ))}
        {specs.some((f) => f.name === 'path' && f.kind === 'string') ? <LoadedMatrixPicker onPath={(p) => setNodeField(id, 'path', p)} /> : null}
        {specs.length === 0 ? <p className="muted">No settings.</p> : null}
      </div>
      {info ? (
        <dl className="ports-list">
          {info.inputs.map((p) => (
            <div key={`in-${p.name}`}>
              <dt>
                in {p.name} <span className="muted">({p.type}{p.optional ? ', optional' : ''})</span>
              </dt>
              <dd>{p.description}</dd>
            </div>
          ))}
          {info.outputs.map((p) => (
            <div key={`out-${p.name}`}>
              <dt>
                out {p.name} <span className="muted">({p.type})</span> {ports?.[p.name] ? <b>{shapeText(ports[p.name])}</b> : null}
              </dt>
              <dd>{p.description}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </section>
  );
}

function EdgeInspector({ id }: { id: string }) {
  const edge = useLab((s) => s.edges.find((e) => e.id === id));
  const shape = useLab((s) => (edge ? s.ports[edge.source]?.[edge.sourceHandle ?? ''] : undefined));
  const issue = useLab((s) => s.issueIndex.byEdge[id]);
  const runId = useLab((s) => s.activeRunId);
  const probed = useLab((s) => (s.activeRunId && s.runs[s.activeRunId]?.state === 'finished' ? (s.runData[s.activeRunId]?.probeEdges.includes(id) ?? false) : false));
  if (!edge) return null;
  return (
    <section className="inspector card" aria-label={`Edge ${id}`}>
      <h2>
        Edge <span className="muted">{edge.source}.{edge.sourceHandle} → {edge.target}.{edge.targetHandle}</span>
      </h2>
      <p>Carries {shape ? `${shape.type} ${shapeText(shape)}` : 'a value whose shape is not known yet'}.</p>
      {issue ? (
        <p className="field-error" role="alert">
          {issue}
        </p>
      ) : null}
      {probed && runId ? <ProbePanel runId={runId} edgeId={id} /> : <p className="muted">Run the problem to see what flows on this edge in the last epoch.</p>}
    </section>
  );
}

const OPTIMIZER: FieldSpec[] = [
  { name: 'kind', label: 'Optimizer', kind: 'enum', options: ['adam', 'adamw', 'sgd'], optional: false },
  { name: 'lr', label: 'Learning rate', kind: 'number', exclusiveMin: 0, optional: false },
  { name: 'beta1', label: 'β₁', kind: 'number', min: 0, exclusiveMax: 1, optional: false },
  { name: 'beta2', label: 'β₂', kind: 'number', min: 0, exclusiveMax: 1, optional: false },
  { name: 'eps', label: 'ε', kind: 'number', exclusiveMin: 0, optional: false },
  { name: 'momentum', label: 'Momentum', kind: 'number', min: 0, exclusiveMax: 1, optional: false },
  { name: 'weightDecay', label: 'Weight decay', kind: 'json', optional: false, description: 'a number, or {"parameter id": number}' },
];
const RUN: FieldSpec[] = [
  { name: 'epochs', label: 'Epochs', kind: 'integer', min: 1, max: 1_000_000, optional: false },
  { name: 'runs', label: 'Runs', kind: 'integer', min: 1, max: 100_000, optional: false },
  { name: 'seed', label: 'Seed', kind: 'integer', min: 0, max: 2 ** 32 - 1, optional: false },
  { name: 'dtype', label: 'dtype', kind: 'enum', options: ['float64', 'float32'], optional: false },
  { name: 'device', label: 'Device', kind: 'enum', options: ['cpu', 'cuda'], optional: false },
];
const NAME: FieldSpec = { name: 'name', label: 'Graph name', kind: 'string', optional: false };

function TrainingInspector() {
  const training = useLab((s) => s.training);
  const meta = useLab((s) => s.meta);
  const setTraining = useLab((s) => s.setTraining);
  const setMeta = useLab((s) => s.setMeta);
  const o = training.optimizer;
  const optValue = (name: string): unknown => (name === 'beta1' ? o.betas[0] : name === 'beta2' ? o.betas[1] : o[name as keyof Training['optimizer']]);
  const setOpt = (name: string, v: unknown): void => {
    const optimizer = { ...o };
    if (name === 'beta1') optimizer.betas = [v as number, o.betas[1]];
    else if (name === 'beta2') optimizer.betas = [o.betas[0], v as number];
    else (optimizer as Record<string, unknown>)[name] = v;
    setTraining({ ...training, optimizer });
  };
  const shown = OPTIMIZER.filter((f) => (o.kind === 'sgd' ? !['beta1', 'beta2', 'eps'].includes(f.name) : f.name !== 'momentum'));
  return (
    <section className="inspector card" aria-label="Training settings">
      <h2>Training</h2>
      <p className="muted">Select a node to edit its fields, or an edge to see what flows on it. With nothing selected, these are the graph's settings.</p>
      <div className="inspector-fields">
        <FieldInput spec={NAME} value={meta.name} errorKey="meta/name" onValue={(v) => setMeta({ name: String(v) })} />
        {shown.map((f) => (
          <FieldInput key={f.name} spec={f} value={optValue(f.name)} errorKey={`training/optimizer.${f.name}`} onValue={(v) => setOpt(f.name, v)} />
        ))}
        {RUN.map((f) => (
          <FieldInput key={f.name} spec={f} value={training[f.name as keyof Training]} errorKey={`training/${f.name}`} onValue={(v) => setTraining({ ...training, [f.name]: v })} />
        ))}
      </div>
    </section>
  );
}

export function Inspector() {
  const nodeId = useLab((s) => s.nodes.find((n) => n.selected)?.id ?? null);
  const edgeId = useLab((s) => (nodeId ? null : (s.edges.find((e) => e.selected)?.id ?? null)));
  if (nodeId) return <NodeInspector key={nodeId} id={nodeId} />;
  if (edgeId) return <EdgeInspector key={edgeId} id={edgeId} />;
  return <TrainingInspector />;
}
