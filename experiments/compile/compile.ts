// The compiler: a spec (checked by validateSpec) becomes a training plan on the
// engine — the matrix built or read, data prepared, and a factory of runs whose
// every step uses the engine's sparse ops (no matrix is ever densified).
import { deviceMode } from '../../native/lib/index.js';
import { compileGcn } from '../methods/gcn.js';
import { compileHeavyball } from '../methods/heavyball.js';
import { compileJacobi } from '../methods/jacobi.js';
import { compilePcg } from '../methods/pcg.js';
import type { ProblemSpec } from '../spec/types.js';
import { SpecError, validateSpec } from '../spec/validate.js';
import type { CompileOptions } from './common.js';
import type { CompiledMethod } from './method.js';

export interface CompiledProblem {
  spec: ProblemSpec;
  plan: CompiledMethod<unknown, unknown>;
}

/** Validates `input` (a spec as parsed JSON, or an already checked one) and compiles it. */
export async function compileSpec(input: unknown, opts: CompileOptions = {}): Promise<CompiledProblem> {
  const spec = validateSpec(input);
  if (spec.device === 'cuda') {
    const { mode, reason } = deviceMode();
    if (mode === 'none') throw new SpecError('spec.device', `'cuda' is not available: ${reason} (use 'cpu')`);
  }
  const compile = { jacobi: compileJacobi, heavyball: compileHeavyball, pcg: compilePcg, gcn: compileGcn }[spec.method.kind];
  const plan = (await compile(spec, opts)) as CompiledMethod<unknown, unknown>;
  return { spec, plan };
}
