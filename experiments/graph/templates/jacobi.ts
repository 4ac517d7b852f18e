// The paper's §4.1 application as a graph: the v1 preset converted (experiments/graph/v1.ts
// builds it), so that the template and today's preset are one problem and give the same numbers.
import { preset } from '../../spec/presets.js';
import type { TemplateInfo } from '../schema.js';
import { specToGraph } from '../v1.js';

export function jacobiTemplate(): TemplateInfo {
  const spec = preset('jacobi');
  return { name: 'jacobi', title: 'Weighted Jacobi (§4.1)', description: spec.description, notes: [...spec.notes], graph: specToGraph(spec) };
}
