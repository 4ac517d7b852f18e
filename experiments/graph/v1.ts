// Version-1 specs (a fixed pipeline: matrix → method → parameters → loss →
// optimizer) as version-2 graphs that compute the same numbers.
import { GraphError, GraphSchema, type Graph } from './schema.js';

/** A v1 spec or a v2 graph (as parsed JSON) → a v2 graph (v1 converted). Throws GraphError with issues. */
export function toGraph(input: unknown): Graph {
  const version = (input as { version?: unknown })?.version;
  if (version === 1) throw new GraphError([{ message: 'v1 specs: not implemented yet' }]);
  const parsed = GraphSchema.safeParse(input);
  if (!parsed.success) throw new GraphError(parsed.error.issues.map((i) => ({ message: `${i.path.join('.')}: ${i.message}` })));
  return parsed.data;
}
