// Every LabApi call is parsed against its zod schema (electron/common/lab-schema.ts)
// before the host acts on it: malformed calls are refused with a message naming
// the method, the field, what the schema allows and what was received.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAB_METHODS } from '../../electron/common/lab-api.js';
import { LAB_SCHEMAS, MAX_UPLOAD_BYTES } from '../../electron/common/lab-schema.js';
import { decodeFrame, encodeFrame } from '../../electron/common/wire.js';
import { checkCall, SchemaError } from '../../electron/services/check-call.js';

const rejects = (method: unknown, params: unknown, message: string): void => {
  assert.throws(
    () => checkCall(method, params),
    (e: unknown) => {
      assert.ok(e instanceof SchemaError, `expected a SchemaError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
};
const ID = 'a string of 1..64 characters matching /^[A-Za-z0-9_.-]+$/';

describe('LabApi schemas', () => {
  it('has one schema per method', () => {
    assert.deepEqual(Object.keys(LAB_SCHEMAS).sort(), [...LAB_METHODS].sort());
  });

  it('accepts well-formed calls and returns the checked params', () => {
    assert.deepEqual(checkCall('info', {}).params, {});
    assert.deepEqual(checkCall('generateMatrix', { params: { kind: 'poisson2d', nx: 8, ny: 8 } }).params, { params: { kind: 'poisson2d', nx: 8, ny: 8 } });
    const data = new Uint8Array([1, 2, 3]);
    const open = checkCall('openMatrix', { source: { kind: 'bytes', name: 'a.mtx', data } }).params as { source: { data: Uint8Array } };
    assert.equal(open.source.data, data); // the bytes themselves, not a copy
    const suite = { kind: 'suite', quick: true, ops: ['spmv'], dtypes: ['float64'], peers: false, sweep: true };
    assert.deepEqual(checkCall('runTiming', { request: suite }).params, { request: suite });
    rejects('runTiming', { request: { ...suite, ops: ['spmv', 'rm -rf'] } }, 'runTiming: params.request.ops[1]: expected one of "spmv", "spgemm", "spdmm", "spadd", "sptrsv", "spsolve", "cholesky", "logdet", "cg" but received "rm -rf"');
    assert.deepEqual(checkCall('runProblem', { spec: { method: { kind: 'jacobi' }, epochs: 3 } }).params, { spec: { method: { kind: 'jacobi' }, epochs: 3 } });
    assert.deepEqual(checkCall('getProbe', { runId: 'r1', edgeId: 'e 3' }).params, { runId: 'r1', edgeId: 'e 3' });
  });

  it('refuses unknown methods', () => {
    rejects('deleteEverything', {}, 'call: expected a LabApi method but received "deleteEverything"');
    rejects(42, {}, 'call: expected a LabApi method but received number');
    rejects('__proto__', {}, 'call: expected a LabApi method but received "__proto__"');
  });

  it('refuses wrong types, out-of-range values and unknown fields, naming the field', () => {
    rejects('info', null, 'info: params: expected an object but received null');
    rejects('info', { x: 1 }, 'info: params.x: unknown field (expected none)');
    rejects('cancel', {}, `cancel: params.jobId: expected ${ID} but received nothing`);
    rejects('cancel', { jobId: '../../etc' }, `cancel: params.jobId: expected ${ID} but received "../../etc"`);
    rejects('cancel', { jobId: 'x'.repeat(65) }, `cancel: params.jobId: expected ${ID} but received "${'x'.repeat(40)}…"`);
    rejects('openMatrix', { source: { kind: 'url', url: 'http://x' } }, 'openMatrix: params.source.kind: expected one of "path", "bytes" but received "url"');
    rejects('openMatrix', { source: { kind: 'bytes', name: 'a.mtx', data: [1, 2] } }, `openMatrix: params.source.data: expected a Uint8Array of at most ${MAX_UPLOAD_BYTES} bytes but received an array of length 2`);
    rejects('openMatrix', { source: { kind: 'path', path: 'a.mtx', extra: true } }, 'openMatrix: params.source.extra: unknown field (expected one of kind, path)');
    rejects('generateMatrix', { params: { kind: 'poisson1d', n: 2.5 } }, 'generateMatrix: params.params.n: expected an integer in [1, 50000000] but received 2.5');
    rejects('generateMatrix', { params: { kind: 'poisson1d', n: 0 } }, 'generateMatrix: params.params.n: expected an integer in [1, 50000000] but received 0');
    rejects('generateMatrix', { params: { kind: 'poisson1d', n: Number.NaN } }, 'generateMatrix: params.params.n: expected an integer in [1, 50000000] but received NaN');
    rejects('generateMatrix', { params: { kind: 'random', rows: 3, cols: 3, density: 2, seed: 1 } }, 'generateMatrix: params.params.density: expected a number in [0, 1] but received 2');
    rejects('exportReport', { timingId: 't1', format: 'exe' }, 'exportReport: params.format: expected one of "csv", "json", "html", "md" but received "exe"');
    rejects('runTiming', { request: { kind: 'suite', quick: 'yes', peers: false, sweep: false } }, 'runTiming: params.request.quick: expected true or false but received "yes"');
    rejects('runTiming', { request: { kind: 'suite', quick: true, peers: false, sweep: false, dtypes: ['float64', 'float32', 'float64'] } }, 'runTiming: params.request.dtypes: expected an array of at most 2 items, each one of "float32", "float64" but received an array of length 3');
  });

  it('reports every offending field, not only the first', () => {
    assert.throws(
      () => checkCall('runTiming', { request: { kind: 'suite', quick: 'yes' } }),
      (e: unknown) => {
        assert.ok(e instanceof SchemaError);
        assert.deepEqual(e.issues.map((i) => i.path), ['params.request.quick', 'params.request.peers', 'params.request.sweep']);
        assert.equal(e.issues[1]!.message, 'expected true or false but received nothing');
        return true;
      },
    );
  });

  it('bounds free-form JSON (problem specs, graphs) in depth and size, and refuses non-JSON values', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { a: deep };
    assert.throws(() => checkCall('validateSpec', { spec: deep }), /^SchemaError: validateSpec: params\.spec(\.a){17}: expected JSON data \(depth ≤ 16, ≤ 20000 values\) but it nests deeper$/);
    assert.throws(() => checkCall('validateGraph', { graph: { xs: new Array(30000).fill(0) } }), /^SchemaError: validateGraph: params\.graph: expected JSON data .* but it holds more values$/);
    rejects('validateSpec', { spec: { lr: Number.POSITIVE_INFINITY } }, 'validateSpec: params.spec.lr: expected a finite number but received Infinity');
    rejects('validateSpec', { spec: { xs: [1, Number.NaN] } }, 'validateSpec: params.spec.xs[1]: expected a finite number but received NaN');
    rejects('validateSpec', { spec: { when: new Date(0) } }, 'validateSpec: params.spec.when: expected JSON data but received a Date');
    rejects('validateSpec', { spec: { f: () => 1 } }, 'validateSpec: params.spec.f: expected JSON data but received function');
  });
});

describe('validateSpec (the LabApi method)', () => {
  it('answers every offending field of a v1 spec by its path inside the spec, and the complete spec when it is valid', async () => {
    const { validateSpec } = await import('../../electron/services/lab-functions.js');
    const bad = validateSpec({ version: 1, method: { kind: 'jacobi' }, epochs: 0, optimizer: { lr: -1 } });
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && [...bad.errors].sort((a, b) => a.path.localeCompare(b.path)), [
      { path: 'epochs', message: 'expected an integer in [1, 1000000] but received 0' },
      { path: 'optimizer.lr', message: 'expected a number > 0 but received -1' },
    ]);
    const good = validateSpec({ version: 1, method: { kind: 'jacobi' }, epochs: 3 });
    assert.ok(good.ok);
    assert.equal(good.spec.epochs, 3);
    assert.deepEqual((good.spec.optimizer as { betas: number[] }).betas, [0.9, 0.999]); // filled from the jacobi preset
  });
});

describe('browser-mode frames', () => {
  it('round-trips JSON with typed arrays, byte for byte', () => {
    const counts = new Uint32Array([0, 1, 2 ** 32 - 1]);
    const values = new Float64Array([Math.PI, -0, Number.MIN_VALUE]);
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const msg = { type: 'call', id: 7, params: { counts, nested: [{ values }, bytes], text: 'ü' } };
    const back = decodeFrame(encodeFrame(msg)) as typeof msg;
    assert.equal(back.id, 7);
    assert.equal(back.params.text, 'ü');
    assert.ok(back.params.counts instanceof Uint32Array);
    assert.deepEqual([...back.params.counts], [...counts]);
    const v = (back.params.nested[0] as { values: Float64Array }).values;
    assert.ok(v instanceof Float64Array);
    assert.ok(Object.is(v[1], -0));
    assert.deepEqual([...v], [...values]);
    assert.deepEqual([...(back.params.nested[1] as Uint8Array)], [1, 2, 3, 4, 5]);
  });

  it('refuses frames whose arrays run past the end', () => {
    const frame = encodeFrame({ data: new Uint8Array(16) });
    assert.throws(() => decodeFrame(frame.subarray(0, frame.byteLength - 12)), /runs past the frame/);
    assert.throws(() => decodeFrame(new Uint8Array(2)), /too short/);
  });
});
