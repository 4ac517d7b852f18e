// Every LabApi call is checked against its schema before the host acts on it:
// malformed calls are refused with a message naming the method and the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAB_METHODS } from '../../electron/common/lab-api.js';
import { SchemaError } from '../../electron/common/schema.js';
import { checkCall, LAB_SCHEMAS } from '../../electron/common/schema-lab.js';
import { decodeFrame, encodeFrame } from '../../electron/common/wire.js';

const rejects = (method: unknown, params: unknown, message: string): void => {
  assert.throws(() => checkCall(method, params), (e: unknown) => e instanceof SchemaError && e.message === message);
};

describe('LabApi schemas', () => {
  it('has one schema per method', () => {
    assert.deepEqual(Object.keys(LAB_SCHEMAS).sort(), [...LAB_METHODS].sort());
  });

  it('accepts well-formed calls and returns the checked params', () => {
    assert.deepEqual(checkCall('info', {}).params, {});
    assert.deepEqual(checkCall('generateMatrix', { params: { kind: 'poisson2d', nx: 8, ny: 8 } }).params, { params: { kind: 'poisson2d', nx: 8, ny: 8 } });
    const data = new Uint8Array([1, 2, 3]);
    const open = checkCall('openMatrix', { source: { kind: 'bytes', name: 'a.mtx', data } }).params as { source: { data: Uint8Array } };
    assert.equal(open.source.data, data);
    const suite = { kind: 'suite', quick: true, ops: ['spmv'], dtypes: ['float64'], peers: false, sweep: true };
    assert.deepEqual(checkCall('runTiming', { request: suite }).params, { request: suite });
    rejects('runTiming', { request: { ...suite, ops: ['spmv', 'rm -rf'] } }, "runTiming: params.request.ops[1]: expected one of 'spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve' but received the string \"rm -rf\"");
    assert.deepEqual(checkCall('runProblem', { spec: { method: { kind: 'jacobi' }, epochs: 3 } }).params, { spec: { method: { kind: 'jacobi' }, epochs: 3 } });
  });

  it('refuses unknown methods', () => {
    rejects('deleteEverything', {}, 'call: expected a LabApi method but received "deleteEverything"');
    rejects(42, {}, 'call: expected a LabApi method but received number');
    rejects('__proto__', {}, 'call: expected a LabApi method but received "__proto__"');
  });

  it('refuses wrong shapes, naming the field', () => {
    rejects('info', null, 'info: params: expected an empty object but received null');
    rejects('info', { x: 1 }, "info: params: unexpected field 'x' (allowed: none)");
    rejects('cancel', {}, 'cancel: params.jobId: expected a string of 1..64 characters matching /^[A-Za-z0-9_.-]+$/ but received nothing');
    rejects('cancel', { jobId: '../../etc' }, 'cancel: params.jobId: expected a string of 1..64 characters matching /^[A-Za-z0-9_.-]+$/ but received the string "../../etc"');
    rejects('openMatrix', { source: { kind: 'url', url: 'http://x' } }, "openMatrix: params.source.kind: expected one of 'path', 'bytes' but received the string \"url\"");
    rejects('openMatrix', { source: { kind: 'bytes', name: 'a.mtx', data: [1, 2] } }, 'openMatrix: params.source.data: expected a Uint8Array of at most 1073741824 bytes but received an array of length 2');
    rejects('openMatrix', { source: { kind: 'path', path: 'a.mtx', extra: true } }, "openMatrix: params.source: unexpected field 'extra' (allowed: kind, path)");
    rejects('generateMatrix', { params: { kind: 'poisson1d', n: 2.5 } }, 'generateMatrix: params.params.n: expected an integer ≥ 1 ≤ 50000000 but received the number 2.5');
    rejects('generateMatrix', { params: { kind: 'poisson1d', n: Number.NaN } }, 'generateMatrix: params.params.n: expected an integer ≥ 1 ≤ 50000000 but received the number NaN');
    rejects('generateMatrix', { params: { kind: 'random', rows: 3, cols: 3, density: 2, seed: 1 } }, 'generateMatrix: params.params.density: expected a finite number ≥ 0 ≤ 1 but received the number 2');
    rejects('exportReport', { timingId: 't1', format: 'exe' }, "exportReport: params.format: expected one of 'csv', 'json', 'html', 'md' but received the string \"exe\"");
    rejects('runTiming', { request: { kind: 'suite', quick: 'yes' } }, 'runTiming: params.request.quick: expected true or false but received the string "yes"');
  });

  it('bounds free-form JSON (problem specs) in depth and size, and refuses non-JSON values', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { a: deep };
    assert.throws(() => checkCall('validateSpec', { spec: deep }), /nests deeper/);
    assert.throws(() => checkCall('validateSpec', { spec: { xs: new Array(30000).fill(0) } }), /holds more values/);
    rejects('validateSpec', { spec: { lr: Number.POSITIVE_INFINITY } }, 'validateSpec: params.spec.lr: expected a finite number but received the number Infinity');
    rejects('validateSpec', { spec: { when: new Date(0) } }, 'validateSpec: params.spec.when: expected JSON data but received an object');
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
