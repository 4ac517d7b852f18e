// Problem graphs (version 2): the one module the lab, the CLI and the tests
// build on — the format and its schema, the node catalogue, validation with
// shape and dtype inference, templates, v1→v2 conversion and the runner.
import { allKinds, kindInfo } from './catalogue.js';
import './kinds/index.js';
import type { Category, NodeKindInfo, TemplateInfo } from './schema.js';
import { allTemplates } from './templates/index.js';

export { GRAPH_VERSION, GraphSchema, GraphNodeSchema, GraphEdgeSchema, TrainingSchema, OptimizerSchema, GraphError, formatIssue } from './schema.js';
export type { TemplateInfo, Graph, GraphNode, GraphEdge, Training, PortType, PortDef, NodeKindInfo, GraphIssue, PortShape, GraphValidation, Category } from './schema.js';
export { validateGraph } from './validate.js';
export type { ValidateOptions } from './validate.js';
export { defaultDataDir } from './data-dir.js';
export { exportTypeScript } from './export-ts.js';
export type { GraphResult, GraphSeries, GraphSummary, Probe, ProbeValues, ParamView } from './result.js';

const CATEGORY_ORDER: Category[] = ['sources', 'parameters', 'sparse ops', 'solvers', 'structure', 'dense ops', 'iteration', 'losses', 'outputs'];

/** Every node kind, JSON-safe, grouped by category (in the palette's order), then in the order they were defined. */
export function nodeCatalogue(): NodeKindInfo[] {
  const rank = (c: Category): number => CATEGORY_ORDER.indexOf(c);
  return allKinds()
    .map(kindInfo)
    .map((k, i) => ({ k, i }))
    .sort((a, b) => rank(a.k.category) - rank(b.k.category) || a.i - b.i)
    .map(({ k }) => k);
}

/** The templates: jacobi, heavyball, pcg, gcn first; then the new ones. Fresh copies (safe to modify). */
export function templates(): TemplateInfo[] {
  return allTemplates();
}

export { toGraph } from './v1.js';
export { runGraph } from './run.js';
export type { RunOptions } from './run.js';
export { compileGraph, mixSeed, runSeed } from './compile.js';
