// The paper's §4.2 application as a graph: the v1 preset converted (experiments/graph/v1.ts
// builds it), so that the template and today's preset are one problem and give the same numbers.
import { preset } from '../../spec/presets.js';
import type { TemplateInfo } from '../schema.js';
import { specToGraph } from '../v1.js';

export function heavyballTemplate(): TemplateInfo {
  const spec = preset('heavyball');
  return { name: 'heavyball', title: 'Heavyball (§4.2)', description: spec.description, notes: [...spec.notes], graph: specToGraph(spec) };
}
