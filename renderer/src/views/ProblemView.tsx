// Problem builder: the problem as a graph of engine ops in a node editor
// (React Flow). A palette of node kinds to drag in, typed ports that refuse a
// wrong connection and say why, an inspector, templates, undo/redo, copy/paste,
// auto-layout (dagre), save/load JSON and Export TypeScript. The host validates
// the graph as it changes; issues are drawn on the node or edge and listed.
import { Background, ReactFlow, ReactFlowProvider, useNodesInitialized, useReactFlow, type Connection, type FinalConnectionState, type IsValidConnection } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useRef, type DragEvent } from 'react';
import type { GraphIssue } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import { Inspector } from '../components/graph/Inspector.js';
import { KindsContext, OpNodeView } from '../components/graph/OpNodeView.js';
import { DND_KIND, Palette } from '../components/graph/Palette.js';
import { connectionProblem, issueWhere, type FlowEdge } from '../lib/graph-doc.js';
import { store, useLab } from '../store/index.js';

// Props React Flow compares by identity: made once, so a re-render on every drag move does not reset its store.
const NODE_TYPES = { op: OpNodeView };
const EDGE_OPTIONS = { interactionWidth: 14 };
const PRO_OPTIONS = { hideAttribution: true };

function download(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const isTyping = (t: EventTarget | null): boolean => t instanceof HTMLElement && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable);

/** Ctrl+Z, Ctrl+Shift+Z (or Ctrl+Y), Ctrl+C, Ctrl+V and Delete while the builder is open (not while typing in a field). */
function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (isTyping(e.target)) return;
      const s = store.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 'z') s[e.shiftKey ? 'redo' : 'undo']();
      else if (mod && key === 'y') s.redo();
      // Text selected on the page (an issue's message, say) copies as text, not as nodes.
      else if (mod && key === 'c' && !window.getSelection()?.toString()) s.copy();
      else if (mod && key === 'v') s.paste();
      else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) s.deleteSelection();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function Toolbar() {
  const templates = useLab((s) => s.templates);
  const templateName = useLab((s) => s.templateName);
  const issues = useLab((s) => s.issues);
  const fieldErrors = useLab((s) => s.fieldErrors);
  const canUndo = useLab((s) => s.past.length > 0);
  const canRedo = useLab((s) => s.future.length > 0);
  const hasSelection = useLab((s) => s.nodes.some((n) => n.selected) || s.edges.some((e) => e.selected));
  const empty = useLab((s) => s.nodes.length === 0);
  const a = store.getState();
  const rf = useReactFlow();
  const valid = issues !== null && issues.length === 0 && Object.keys(fieldErrors).length === 0 && !empty;
  const save = (): void => {
    const g = a.currentGraph();
    download(`${g.name || 'problem'}.json`, JSON.stringify(g, null, 2) + '\n');
  };
  const exportTs = async (): Promise<void> => {
    try {
      const r = await api.exportTypeScript({ graph: store.getState().currentGraph() });
      download(r.fileName, r.text, 'text/plain');
    } catch (e) {
      a.notify('error', `Export TypeScript: ${(e as Error).message}`);
    }
  };
  return (
    <section className="card toolbar graph-toolbar" aria-label="Problem">
      <button type="button" onClick={() => a.newGraph()}>
        New empty
      </button>
      <label htmlFor="template">
        New from template
        {/* An action, not a state: it always reads "choose…", so the same template can be chosen again. */}
        <select id="template" value="" onChange={(e) => e.target.value && store.getState().useTemplate(e.target.value)} title={templateName ? `started from ${templateName}` : undefined}>
          <option value="">choose…</option>
          {templates.map((t) => (
            <option key={t.name} value={t.name} title={t.description}>
              {t.title}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={save}>
        Save JSON
      </button>
      <input
        id="load-graph"
        type="file"
        accept=".json,application/json"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void f.text().then((t) => store.getState().loadGraphJson(t));
        }}
      />
      <label htmlFor="load-graph" className="file-button">
        Load JSON
      </label>
      <button type="button" onClick={() => void exportTs()} disabled={empty}>
        Export TypeScript
      </button>
      <span className="button-group" role="group" aria-label="Edit">
        <button type="button" className="icon" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => a.undo()}>
          Undo
        </button>
        <button type="button" className="icon" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => a.redo()}>
          Redo
        </button>
        <button type="button" className="icon" aria-label="Copy (Ctrl+C)" title="Copy (Ctrl+C)" disabled={!hasSelection} onClick={() => a.copy()}>
          Copy
        </button>
        <button type="button" className="icon" aria-label="Paste (Ctrl+V)" title="Paste (Ctrl+V)" onClick={() => a.paste()}>
          Paste
        </button>
        <button type="button" className="icon" aria-label="Delete selection (Delete)" title="Delete selection (Delete)" disabled={!hasSelection} onClick={() => a.deleteSelection()}>
          Delete
        </button>
      </span>
      <span className="button-group" role="group" aria-label="View">
        <button type="button" className="icon" aria-label="Auto-layout" title="Auto-layout (dagre)" disabled={empty} onClick={() => a.autoLayout()}>
          Layout
        </button>
        <button type="button" className="icon" aria-label="Fit view" title="Fit view" onClick={() => void rf.fitView({ padding: 0.15, duration: 0, maxZoom: 1.2 })}>
          Fit
        </button>
        <button type="button" className="icon" aria-label="Zoom in" title="Zoom in" onClick={() => void rf.zoomIn()}>
          +
        </button>
        <button type="button" className="icon" aria-label="Zoom out" title="Zoom out" onClick={() => void rf.zoomOut()}>
          −
        </button>
      </span>
      <span className={`validity ${valid ? 'ok' : issues === null ? '' : 'bad'}`} role="status" aria-label="Graph check">
        {issues === null ? 'checking…' : empty ? 'Empty graph' : valid ? 'Graph is valid' : `${issues.length + Object.keys(fieldErrors).length} problem${issues.length + Object.keys(fieldErrors).length === 1 ? '' : 's'}`}
      </span>
      <button
        type="button"
        className="primary"
        disabled={!valid}
        onClick={() => {
          void store.getState().startRun();
          store.getState().setTab('training');
        }}
      >
        Run this problem
      </button>
    </section>
  );
}

/** The output handle within 16 px of a screen point (where a palette item was dropped), if any. */
function outputNear(x: number, y: number): { node: string; port: string; x: number; y: number } | null {
  let best: { node: string; port: string; x: number; y: number; d: number } | null = null;
  for (const h of document.querySelectorAll<HTMLElement>('.canvas .react-flow__handle.source')) {
    const r = h.getBoundingClientRect();
    const cx = r.left + r.width / 2;
    const cy = r.top + r.height / 2;
    const d = Math.hypot(cx - x, cy - y);
    if (d <= 16 && (!best || d < best.d)) best = { node: h.dataset.nodeid ?? '', port: h.dataset.handleid ?? '', x: cx, y: cy, d };
  }
  return best && best.node && best.port ? best : null;
}

function Canvas() {
  const nodes = useLab((s) => s.nodes);
  const edges = useLab((s) => s.edges);
  const fitRequest = useLab((s) => s.fitRequest);
  const onNodesChange = useLab((s) => s.onNodesChange);
  const onEdgesChange = useLab((s) => s.onEdgesChange);
  const rf = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!fitRequest) return;
    // After React Flow has measured the new nodes.
    // An empty canvas starts at 100 % (fitting nothing would zoom in as far as allowed).
    const t = setTimeout(() => void (store.getState().nodes.length ? rf.fitView({ padding: 0.15, duration: 0, maxZoom: 1 }) : rf.setViewport({ x: 0, y: 0, zoom: 1 })), 60);
    return () => clearTimeout(t);
  }, [fitRequest, rf]);

  // A template's positions are a rough grid: once React Flow knows the nodes' sizes, dagre lays them out.
  const measured = useNodesInitialized();
  const layoutPending = useLab((s) => s.layoutPending);
  useEffect(() => {
    if (measured && layoutPending) store.getState().layoutMeasured();
  }, [measured, layoutPending]);

  const kindOf = useCallback((id: string) => {
    const s = store.getState();
    return s.kinds[rf.getNode(id)?.data.kind as string];
  }, [rf]);
  // Checked while a connection is dragged (the target handle shows it); the reason is said when the drag ends.
  const isValidConnection: IsValidConnection<FlowEdge> = useCallback((c) => connectionProblem(c, kindOf, store.getState().edges) === null, [kindOf]);
  const onConnect = useCallback((c: Connection) => void store.getState().connect(c), []);
  const onConnectEnd = useCallback(
    (_e: MouseEvent | TouchEvent, st: FinalConnectionState) => {
      if (st.isValid !== false || !st.fromHandle || !st.toHandle) return;
      const fromSource = st.fromHandle.type === 'source';
      const [a, b] = fromSource ? [st.fromHandle, st.toHandle] : [st.toHandle, st.fromHandle];
      const reason = connectionProblem({ source: a.nodeId, sourceHandle: a.id ?? null, target: b.nodeId, targetHandle: b.id ?? null }, kindOf, store.getState().edges);
      if (reason) store.getState().refuse(reason);
    },
    [kindOf],
  );
  const onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer.types.includes(DND_KIND)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const onDrop = (e: DragEvent): void => {
    const kind = e.dataTransfer.getData(DND_KIND);
    if (!kind) return;
    e.preventDefault();
    // Dropped on (or within a few pixels of) an output port: the new node is fed from it, one gesture for two steps.
    const port = outputNear(e.clientX, e.clientY);
    if (port) {
      const at = rf.screenToFlowPosition({ x: port.x + 70, y: port.y - 30 });
      void store.getState().addNodeFedBy(kind, at, { node: port.node, port: port.port });
      return;
    }
    // Dropped where the pointer is: the node's top-left a little up-left of it, as if held by its header.
    const at = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    store.getState().addNode(kind, { x: at.x - 20, y: at.y - 14 });
  };
  return (
    <div className="canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} aria-label="Graph canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        minZoom={0.1}
        maxZoom={2.5}
        defaultEdgeOptions={EDGE_OPTIONS}
        proOptions={PRO_OPTIONS}
      >
        <Background gap={20} color="#e3e7ed" />
      </ReactFlow>
      <Refusal />
      {nodes.length === 0 ? (
        <p className="canvas-empty muted">
          Drag node kinds here from the palette (or focus one and press Enter), then connect an output (right) to an input (left). Dropping a node onto an output port adds it already fed from that port.
        </p>
      ) : null}
    </div>
  );
}

/** Why the last connection was refused, over the canvas where the hand is. */
function Refusal() {
  const refusal = useLab((s) => s.refusal);
  const refuse = useLab((s) => s.refuse);
  if (!refusal) return null;
  return (
    <p className="notice error refusal" role="alert" aria-label="Connection refused">
      <span>{refusal}</span>
      <button type="button" aria-label="Dismiss" onClick={() => refuse(null)}>
        ×
      </button>
    </p>
  );
}

function Messages() {
  const issues = useLab((s) => s.issues);
  const fieldErrors = useLab((s) => s.fieldErrors);
  const selectOnly = useLab((s) => s.selectOnly);
  const rf = useReactFlow();
  const list = issues ?? [];
  /** Selects what the issue is about and brings it into view. */
  const show = (i: GraphIssue): void => {
    const edge = i.edgeId ? store.getState().edges.find((e) => e.id === i.edgeId) : undefined;
    selectOnly(i.edgeId ? { edgeId: i.edgeId } : { nodeId: i.nodeId! });
    const ids = edge ? [edge.source, edge.target] : i.nodeId ? [i.nodeId] : [];
    if (ids.length) void rf.fitView({ nodes: ids.map((id) => ({ id })), maxZoom: 1, padding: 0.4, duration: 200 });
  };
  const local = Object.entries(fieldErrors);
  return (
    <>
      {list.length || local.length ? (
        <section className="card issues-card" aria-label="Problems with the graph">
          <h3>Problems ({list.length + local.length})</h3>
          <ul className="issues">
            {local.map(([k, m]) => (
              <li key={`local-${k}`}>{m}</li>
            ))}
            {list.map((i, n) => (
              <li key={`${n}-${i.message}`}>
                {i.nodeId || i.edgeId ? (
                  <button type="button" className="link" onClick={() => show(i)}>
                    {issueWhere(i)}
                  </button>
                ) : (
                  'graph'
                )}
                : {i.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function Notes() {
  const meta = useLab((s) => s.meta);
  if (!meta.description && !meta.notes?.length) return null;
  return (
    <details className="card notes">
      <summary>{meta.description ?? 'Notes'}</summary>
      {meta.notes?.length ? (
        <ul>
          {meta.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}

function Builder() {
  useShortcuts();
  const kinds = useLab((s) => s.kinds);
  const canvas = useCallback(() => document.querySelector<HTMLElement>('.canvas'), []);
  return (
    <KindsContext value={kinds}>
      <div className="problem">
        <Toolbar />
        <div className="builder">
          <Palette canvas={canvas} />
          <div className="builder-main">
            <Canvas />
            <Messages />
            <Notes />
          </div>
          <Inspector />
        </div>
      </div>
    </KindsContext>
  );
}

export function ProblemView() {
  return (
    <ReactFlowProvider>
      <Builder />
    </ReactFlowProvider>
  );
}
