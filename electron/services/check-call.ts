// Where a LabApi call first arrives (LabBackend, and again in the compute host
// process), it is parsed against its params schema (electron/common/lab-schema.ts)
// before anything acts on it. A malformed call is refused with a SchemaError
// that names the method and the field: "cancel: params.jobId: expected …".
import { dottedPath, type Issue, parse } from '../../experiments/schema/issues.js';
import { LAB_METHODS, type LabMethod } from '../common/lab-api.js';
import { LAB_SCHEMAS, type LabParams } from '../common/lab-schema.js';

export class SchemaError extends Error {
  /** Every offending field, not only the first (the message shows them all). */
  readonly issues: { path: string; message: string }[];
  constructor(where: string, issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${where}${i.path}: ${i.message}`).join('; '));
    this.name = 'SchemaError';
    this.issues = issues;
  }
}

export type CheckedCall = { [M in LabMethod]: { method: M; params: LabParams<M> } }[LabMethod];

/** Checks one incoming call; returns its params parsed (typed), or throws SchemaError. */
export function checkCall(method: unknown, params: unknown): CheckedCall {
  if (typeof method !== 'string' || !(LAB_METHODS as readonly string[]).includes(method)) {
    const received = typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : typeof method;
    throw new SchemaError('', [{ path: 'call', message: `expected a LabApi method but received ${received}` }]);
  }
  const m = method as LabMethod;
  const r = parse(LAB_SCHEMAS[m], params);
  if (!r.ok) throw new SchemaError(`${m}: `, r.issues.map((i: Issue) => ({ path: dottedPath('params', i.path), message: i.message })));
  return { method: m, params: r.data } as CheckedCall;
}
