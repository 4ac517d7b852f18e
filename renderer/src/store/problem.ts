// Problem builder: the graph being edited (React Flow's nodes and edges, the
// training settings beside them), the catalogue of node kinds and the
// templates, what the host's validator says (debounced after each change that
// is not just a move), undo/redo snapshots and the clipboard.
//
// Dragging a node only moves it: no validation round-trip and one history
// entry per drag, so a 200-node graph stays responsive.
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import type { GraphIssue, GraphValidation, NodeKindInfo, PortShapes, ProblemGraph, TemplateInfo, Training } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import {
  connectionProblem,
  copySelection,
  edgeId,
  emptyGraph,
  freshId,
  fromFlow,
  indexIssues,
  layout,
  pasteClip,
  sameStructure,
  toFlow,
  type Clip,
  type FlowEdge,
  type GraphMeta,
  type IssueIndex,
  type OpNode,
} from '../lib/graph-doc.js';
import type { Slice } from './types.js';

interface Snapshot {
  meta: GraphMeta;
  nodes: OpNode[];
  edges: FlowEdge[];
  training: Training;
}

export interface ProblemSlice {
  catalogue: NodeKindInfo[];
  kinds: Record<string, NodeKindInfo>;
  templates: TemplateInfo[];
  /** The template the graph started from ('' for an empty canvas or a loaded file). */
  templateName: string;
  meta: GraphMeta;
  nodes: OpNode[];
  edges: FlowEdge[];
  training: Training;
  /** The host's issues with the graph as it is now (null while it checks). */
  issues: GraphIssue[] | null;
  issueIndex: IssueIndex;
  ports: PortShapes;
  /** Text that does not parse in a field (kept out of the graph until it does), by "nodeId/field" or "training/path". */
  fieldErrors: Record<string, string>;
  /** Why the last connection was refused (cleared by the next edit). */
  refusal: string | null;
  past: Snapshot[];
  future: Snapshot[];
  /** Bumped when the view should fit the graph (a template, a file, a layout). */
  fitRequest: number;
  /** A template was loaded: lay it out by dagre once its nodes have been measured (their sizes are known only then). */
  layoutPending: boolean;
  layoutMeasured(): void;
  loadCatalogue(): Promise<void>;
  newGraph(): void;
  useTemplate(name: string): void;
  loadGraphJson(text: string): Promise<void>;
  currentGraph(): ProblemGraph;
  addNode(kind: string, position?: { x: number; y: number }): string | null;
  /** Adds a node fed from an output port: wired to its first input of that port's type. */
  addNodeFedBy(kind: string, position: { x: number; y: number }, from: { node: string; port: string }): Promise<string | null>;
  onNodesChange(changes: NodeChange<OpNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  connect(c: Connection): Promise<void>;
  refuse(message: string | null): void;
  deleteSelection(): void;
  selectOnly(ids: { nodeId?: string; edgeId?: string }): void;
  setNodeField(nodeId: string, field: string, value: unknown): void;
  setTraining(training: Training): void;
  setMeta(meta: Partial<GraphMeta>): void;
  setFieldError(key: string, error: string | null): void;
  undo(): void;
  redo(): void;
  copy(): void;
  paste(): void;
  autoLayout(): void;
  validate(): Promise<void>;
}

const HISTORY = 100;
const VALIDATE_MS = 250;
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;
let clip: Clip | null = null;
let pastes = 0;
/** A drag in progress has its history entry already. */
let dragging = false;
/** Consecutive edits of one field make one history entry. */
let lastEditKey: string | null = null;

const NO_ISSUES: IssueIndex = { byNode: {}, byEdge: {}, byField: {} };

/**
 * The host's verdict carried on the nodes themselves (issue text, output
 * shapes), so a node component needs no store subscription of its own; only
 * nodes whose verdict changed get a new object (React Flow re-renders those).
 */
function withNodeVerdicts(nodes: OpNode[], byNode: Record<string, string>, ports: PortShapes): OpNode[] {
  let changed = false;
  const out = nodes.map((n) => {
    const issue = byNode[n.id];
    const shapes = ports[n.id];
    if (n.data.issue === issue && JSON.stringify(n.data.ports) === JSON.stringify(shapes)) return n;
    changed = true;
    const data = { ...n.data };
    if (issue) data.issue = issue;
    else delete data.issue;
    if (shapes) data.ports = shapes;
    else delete data.ports;
    return { ...n, data };
  });
  return changed ? out : nodes;
}

function withEdgeIssues(edges: FlowEdge[], byEdge: Record<string, string>): FlowEdge[] {
  let changed = false;
  const out = edges.map((e) => {
    const issue = byEdge[e.id];
    if ((e.data?.issue ?? undefined) === issue) return e;
    changed = true;
    return { ...e, className: issue ? 'has-issue' : undefined, ariaLabel: issue ? `edge ${e.id}: ${issue}` : `edge ${e.id}`, data: issue ? { issue } : {} } as FlowEdge;
  });
  return changed ? out : edges;
}

export const createProblemSlice: Slice<ProblemSlice> = (set, get) => {
  const snapshot = (): Snapshot => {
    const s = get();
    return { meta: s.meta, nodes: s.nodes, edges: s.edges, training: s.training };
  };
  /** Records the state before a change, so undo can return to it. */
  const remember = (editKey: string | null = null): void => {
    if (editKey !== null && editKey === lastEditKey) return;
    lastEditKey = editKey;
    set((s) => ({ past: [...s.past.slice(-(HISTORY - 1)), snapshot()], future: [] }));
  };
  const validateSoon = (): void => {
    if (timer) clearTimeout(timer);
    set({ issues: null });
    timer = setTimeout(() => void get().validate(), VALIDATE_MS);
  };
  const applyValidation = (r: GraphValidation): void => {
    const issues = r.ok ? [] : r.issues;
    const issueIndex = issues.length ? indexIssues(issues) : NO_ISSUES;
    set((s) => ({ issues, issueIndex, ports: r.ports, nodes: withNodeVerdicts(s.nodes, issueIndex.byNode, r.ports), edges: withEdgeIssues(s.edges, issueIndex.byEdge) }));
  };
  const load = (graph: ProblemGraph, templateName: string, relayout = false): void => {
    let { nodes, edges } = toFlow(graph);
    if (graph.nodes.some((n) => !n.position)) {
      const at = layout(nodes, edges);
      nodes = nodes.map((n) => ({ ...n, position: at[n.id]! }));
    }
    remember();
    const meta: GraphMeta = { name: graph.name, ...(graph.description ? { description: graph.description } : {}), ...(graph.notes ? { notes: graph.notes } : {}) };
    set((s) => ({ meta, nodes, edges, training: structuredClone(graph.training), templateName, fieldErrors: {}, refusal: null, fitRequest: s.fitRequest + 1, layoutPending: relayout && nodes.length > 0 }));
    validateSoon();
  };

  return {
    catalogue: [],
    kinds: {},
    templates: [],
    templateName: '',
    meta: { name: 'untitled' },
    nodes: [],
    edges: [],
    training: emptyGraph().training,
    issues: [],
    issueIndex: NO_ISSUES,
    ports: {},
    fieldErrors: {},
    refusal: null,
    past: [],
    future: [],
    fitRequest: 0,
    layoutPending: false,

    layoutMeasured() {
      const s = get();
      if (!s.layoutPending) return;
      const at = layout(s.nodes, s.edges);
      set((st) => ({ layoutPending: false, nodes: s.nodes.map((n) => ({ ...n, position: at[n.id]! })), fitRequest: st.fitRequest + 1 }));
    },

    async loadCatalogue() {
      const [catalogue, templates] = await Promise.allSettled([api.graphCatalogue({}), api.templates({})]);
      if (catalogue.status === 'fulfilled') set({ catalogue: catalogue.value, kinds: Object.fromEntries(catalogue.value.map((k) => [k.kind, k])) });
      else get().notify('error', `Node catalogue: ${(catalogue.reason as Error).message}`);
      if (templates.status === 'fulfilled') {
        set({ templates: templates.value });
        // A first visit starts from the Jacobi template (an empty canvas is one click away) unless the person already began.
        if (!get().nodes.length && !get().past.length && templates.value[0]) {
          get().useTemplate(templates.value[0].name);
          set({ past: [] });
        }
      } else get().notify('error', `Templates: ${(templates.reason as Error).message}`);
    },

    newGraph() {
      load(emptyGraph(), '');
    },

    useTemplate(name) {
      const t = get().templates.find((x) => x.name === name);
      if (t) load(structuredClone(t.graph), name, true);
    },

    async loadGraphJson(text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        get().notify('error', `Load: not JSON (${(e as Error).message})`);
        return;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        get().notify('error', 'Load: expected a JSON object (a version 2 graph or a version 1 spec)');
        return;
      }
      if ((parsed as { version?: unknown }).version === 2 && Array.isArray((parsed as ProblemGraph).nodes)) {
        load(parsed as ProblemGraph, '');
        return;
      }
      // A version 1 spec: the host converts it (and fills its defaults).
      try {
        const r = await api.validateGraph({ graph: parsed });
        if (r.ok) load(r.graph, '');
        else get().notify('error', `Load: this spec cannot be converted to a graph: ${r.issues.map((i) => i.message).join('; ')}`);
      } catch (e) {
        get().notify('error', `Load: ${(e as Error).message}`);
      }
    },

    currentGraph() {
      const s = get();
      return fromFlow(s.meta, s.nodes, s.edges, s.training);
    },

    addNode(kind, position) {
      const info = get().kinds[kind];
      if (!info) return null;
      const taken = new Set(get().nodes.map((n) => n.id));
      const id = freshId(kind, taken);
      // Without a drop point: right of what is there, so a keyboard user's nodes do not stack.
      const at = position ?? { x: get().nodes.reduce((m, n) => Math.max(m, n.position.x + 240), 0), y: 40 };
      remember();
      const node: OpNode = { id, type: 'op', position: at, selected: true, data: { kind, fields: structuredClone(info.defaults) } };
      set((s) => ({ nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), refusal: null }));
      validateSoon();
      return id;
    },

    async addNodeFedBy(kind, position, from) {
      const s = get();
      const source = s.nodes.find((n) => n.id === from.node);
      const out = s.kinds[source?.data.kind ?? '']?.outputs.find((p) => p.name === from.port);
      const input = s.kinds[kind]?.inputs.find((p) => p.type === out?.type);
      // Right of the node it is fed from, below the nodes that node already feeds.
      const fed = new Set(s.edges.filter((e) => e.source === from.node).map((e) => e.target)).size;
      const at = source ? { x: source.position.x + (source.measured?.width ?? 200) + 80, y: source.position.y + fed * 130 } : position;
      const id = get().addNode(kind, at);
      if (!id || !out) return id;
      if (!input) {
        set({ refusal: `${s.kinds[kind]!.title} has no input that takes what ${from.node}.${from.port} gives (${out.type}): it was added unconnected` });
        return id;
      }
      await get().connect({ source: from.node, sourceHandle: from.port, target: id, targetHandle: input.name });
      return id;
    },

    onNodesChange(changes) {
      let structural = false;
      for (const c of changes) {
        if (c.type === 'position') {
          if (c.dragging && !dragging) {
            dragging = true;
            remember();
          } else if (c.dragging === false) dragging = false;
        } else if (c.type === 'remove' || c.type === 'add' || c.type === 'replace') structural = true;
      }
      if (structural) remember();
      set((s) => ({ nodes: applyNodeChanges(changes, s.nodes) }));
      if (structural) validateSoon();
    },

    onEdgesChange(changes) {
      const structural = changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace');
      if (structural) remember();
      set((s) => ({ edges: applyEdgeChanges(changes, s.edges) }));
      if (structural) validateSoon();
    },

    async connect(c) {
      const s = get();
      const kindOf = (id: string): NodeKindInfo | undefined => s.kinds[s.nodes.find((n) => n.id === id)?.data.kind ?? ''];
      const problem = connectionProblem(c, kindOf, s.edges);
      if (problem) {
        set({ refusal: problem });
        return;
      }
      const id = edgeId(c.source, c.sourceHandle!, c.target, c.targetHandle!);
      const edge: FlowEdge = { id, source: c.source, sourceHandle: c.sourceHandle!, target: c.target, targetHandle: c.targetHandle! };
      // Shapes and dtypes only the host can infer: ask it about the graph with and without this edge, and
      // refuse the edge if it brings an issue of its own (on itself, or on the node it feeds).
      const without = fromFlow(s.meta, s.nodes, s.edges, s.training);
      const candidate = { ...without, edges: [...without.edges, { id, from: { node: c.source, port: c.sourceHandle! }, to: { node: c.target, port: c.targetHandle! } }] };
      let verdict: GraphValidation | null = null;
      let before: GraphValidation | null = null;
      try {
        [verdict, before] = await Promise.all([api.validateGraph({ graph: candidate }), api.validateGraph({ graph: without })]);
      } catch {
        verdict = null; // the host is away: keep the edge, the next validation says more
      }
      if (verdict && !verdict.ok) {
        const known = new Set((before && !before.ok ? before.issues : []).map((i) => i.message));
        const blame = verdict.issues.find((i) => !known.has(i.message) && (i.edgeId === id || i.nodeId === c.target));
        if (blame) {
          set({ refusal: `Cannot connect ${c.source}.${c.sourceHandle} → ${c.target}.${c.targetHandle}: ${blame.message}` });
          return;
        }
      }
      const now = get();
      if (!now.nodes.some((n) => n.id === c.source) || !now.nodes.some((n) => n.id === c.target) || now.edges.some((e) => e.id === id)) return;
      remember();
      set({ edges: [...now.edges, edge], refusal: null });
      // The answer was about exactly this graph unless something changed while it came.
      if (verdict && sameStructure(candidate, get().currentGraph())) {
        if (timer) clearTimeout(timer);
        generation++;
        applyValidation(verdict);
      } else validateSoon();
    },

    refuse(message) {
      set({ refusal: message });
    },

    deleteSelection() {
      const s = get();
      const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
      if (!gone.size && edges.length === s.edges.length) return;
      remember();
      set({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges, refusal: null });
      validateSoon();
    },

    selectOnly({ nodeId, edgeId: eid }) {
      set((s) => ({
        nodes: s.nodes.map((n) => ((n.id === nodeId) === !!n.selected ? n : { ...n, selected: n.id === nodeId })),
        edges: s.edges.map((e) => ((e.id === eid) === !!e.selected ? e : { ...e, selected: e.id === eid })),
      }));
    },

    setNodeField(nodeId, field, value) {
      remember(`${nodeId}/${field}`);
      const fieldErrors = { ...get().fieldErrors };
      delete fieldErrors[`${nodeId}/${field}`];
      set((s) => ({
        fieldErrors,
        nodes: s.nodes.map((n) => {
          if (n.id !== nodeId) return n;
          const fields = { ...n.data.fields };
          if (value === undefined) delete fields[field];
          else fields[field] = value;
          return { ...n, data: { ...n.data, fields } };
        }),
      }));
      validateSoon();
    },

    setTraining(training) {
      remember('training');
      set({ training });
      validateSoon();
    },

    setMeta(meta) {
      remember('meta');
      set((s) => ({ meta: { ...s.meta, ...meta } }));
      validateSoon();
    },

    setFieldError(key, error) {
      const fieldErrors = { ...get().fieldErrors };
      if (error) fieldErrors[key] = error;
      else delete fieldErrors[key];
      set({ fieldErrors });
    },

    undo() {
      const s = get();
      const prev = s.past[s.past.length - 1];
      if (!prev) return;
      lastEditKey = null;
      set({ ...prev, past: s.past.slice(0, -1), future: [snapshot(), ...s.future].slice(0, HISTORY), refusal: null });
      validateSoon();
    },

    redo() {
      const s = get();
      const next = s.future[0];
      if (!next) return;
      lastEditKey = null;
      set({ ...next, future: s.future.slice(1), past: [...s.past, snapshot()].slice(-HISTORY), refusal: null });
      validateSoon();
    },

    copy() {
      const c = copySelection(get().nodes, get().edges);
      if (c) {
        clip = c;
        pastes = 0;
      }
    },

    paste() {
      if (!clip) return;
      const taken = new Set(get().nodes.map((n) => n.id));
      const { nodes, edges } = pasteClip(clip, taken, 40 * ++pastes);
      remember();
      set((s) => ({
        nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes],
        edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
      }));
      validateSoon();
    },

    autoLayout() {
      const s = get();
      if (!s.nodes.length) return;
      const at = layout(s.nodes, s.edges);
      remember();
      set((st) => ({ nodes: s.nodes.map((n) => ({ ...n, position: at[n.id]! })), fitRequest: st.fitRequest + 1 }));
    },

    async validate() {
      const graph = get().currentGraph();
      const mine = ++generation;
      try {
        const r = await api.validateGraph({ graph });
        if (mine !== generation) return;
        applyValidation(r);
      } catch (e) {
        if (mine === generation) set({ issues: [{ message: (e as Error).message }], issueIndex: NO_ISSUES });
      }
    },
  };
};
