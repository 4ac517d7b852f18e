// compileSpec: a v1 spec compiled through the graph compiler (its conversion,
// experiments/graph/v1.ts), with errors worded in the spec's own fields so a v1
// user reads `spec.device: …` rather than a node of a graph they never wrote.
import { compileGraph, type CompileOptions, type Plan } from '../graph/compile.js';
import { GraphError } from '../graph/schema.js';
import { specToGraph } from '../graph/v1.js';
import type { ProblemSpec } from '../spec/types.js';
import { SpecError, validateSpec } from '../spec/validate.js';

export interface CompiledProblem {
  spec: ProblemSpec;
  plan: Plan;
}

/** The v1 field a graph issue of a converted spec stands for. */
function specField(issue: GraphError['issues'][number]): string {
  if (issue.field === 'training.device') return 'spec.device';
  if (issue.nodeId === 'A' || issue.nodeId === 'data') return issue.field === 'path' ? 'spec.matrix.path' : 'spec.matrix';
  return issue.nodeId !== undefined ? `spec (graph node "${issue.nodeId}")` : 'spec';
}

/** Validates `input` (a v1 spec as parsed JSON, or an already checked one) and compiles it. */
export async function compileSpec(input: unknown, opts: CompileOptions = {}): Promise<CompiledProblem> {
  const spec = validateSpec(input);
  try {
    return { spec, plan: await compileGraph(specToGraph(spec), opts) };
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    const issue = e.issues[0]!;
    // The message without the node's name in front ("matrix-file "A": …").
    const message = issue.message.replace(/^[\w-]+ "[^"]*": /, '').replace(/^training\.device /, '');
    throw new SpecError(specField(issue), message);
  }
}
