// The paper's §4.3 application as a graph: the v1 preset converted (experiments/graph/v1.ts
// builds it), so that the template and today's preset are one problem and give the same numbers.
import { preset } from '../../spec/presets.js';
import type { TemplateInfo } from '../schema.js';
import { specToGraph } from '../v1.js';

export function pcgTemplate(): TemplateInfo {
  const spec = preset('pcg');
  return { name: 'pcg', title: 'Learned PCG preconditioner (§4.3)', description: spec.description, notes: [...spec.notes], graph: specToGraph(spec) };
}
