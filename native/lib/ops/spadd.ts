// Sparse + sparse: C = αA + βB for CsrMatrix A, B of one shape; α, β numbers or
// scalar Tensors (differentiable).
//
// C's pattern is the union of the two patterns. The union and the maps from each
// operand's entries to C's (map_A[p] = where A's p-th entry lands in C) depend on
// the patterns alone, so they are computed once per pair of patterns and cached on
// A's pattern, keyed by B's pattern object: a training loop that adds the same
// patterns every step pays for the values pass only. Where C's pattern is an
// operand's own (equal patterns, or one containing the other) C shares that
// pattern object and the operand's map is the identity (null).
//
// On the device the union is cached the same way, with the maps as device
// arrays. A pattern pair seen first on the device gets its union from the
// device kernels, downloaded once (C's pattern and the host cache need host
// arrays), with C's structure kept on the device as its pattern's device arrays.
import { record } from '../autograd.js';
import { kernel, type FloatArray } from '../addon.js';
import { allocate, type DType, uninit } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { CsrMatrix, CsrPattern } from '../csr.js';
import { deviceAlloc, type DeviceArray, download, upload } from '../device.js';
import { csrArg, optionsArg, sameKind } from './check.js';
import { deviceEmpty, deviceFull } from './transfer.js';

export interface SpaddOptions {
  alpha?: number | Tensor;
  beta?: number | Tensor;
}

type Symbolic = (rows: number, aIndptr: Int32Array, aIndices: Int32Array, bIndptr: Int32Array, bIndices: Int32Array, cIndptr: Int32Array) => number;
type Structure = (
  rows: number, aIndptr: Int32Array, aIndices: Int32Array, bIndptr: Int32Array, bIndices: Int32Array,
  cIndptr: Int32Array, cIndices: Int32Array, mapA: Int32Array, mapB: Int32Array,
) => void;
type Values = (
  rows: number, cIndptr: Int32Array, aIndptr: Int32Array, a: FloatArray, mapA: Int32Array | null,
  bIndptr: Int32Array, b: FloatArray, mapB: Int32Array | null, alpha: number, beta: number, c: FloatArray,
) => void;
type Backward = (
  v: FloatArray,
  nA: number, mapA: Int32Array | null, a: FloatArray | null, alpha: number, dA: FloatArray | null,
  nB: number, mapB: Int32Array | null, b: FloatArray | null, beta: number, dB: FloatArray | null,
) => [number, number];

/** C's pattern and where each operand's entries land in it (null: the identity). */
interface Union {
  pattern: CsrPattern;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
}

/** The unions computed with A's pattern as left operand, by right operand pattern, under `key`. */
function unionCache<U>(A: CsrPattern, key: string): WeakMap<CsrPattern, U> {
  let cache = A.cache.get(key) as WeakMap<CsrPattern, U> | undefined;
  if (!cache) {
    cache = new WeakMap();
    A.cache.set(key, cache);
  }
  return cache;
}

function unionOf(A: CsrPattern, B: CsrPattern): Union {
  if (A === B) return { pattern: A, mapA: null, mapB: null };
  const cache = unionCache<Union>(A, 'spadd');
  let union = cache.get(B);
  if (union) return union;

  const a = A.raw;
  const b = B.raw;
  const indptr = new Int32Array(A.rows + 1);
  const nnz = kernel<Symbolic>('spaddSymbolic')(A.rows, a.indptr, a.indices, b.indptr, b.indices, indptr);
  if (nnz === A.nnz && nnz === B.nnz) {
    union = { pattern: A, mapA: null, mapB: null }; // equal patterns
  } else {
    const indices = new Int32Array(nnz);
    const mapA = new Int32Array(A.nnz);
    const mapB = new Int32Array(B.nnz);
    kernel<Structure>('spaddStructure')(A.rows, a.indptr, a.indices, b.indptr, b.indices, indptr, indices, mapA, mapB);
    if (nnz === A.nnz) union = { pattern: A, mapA: null, mapB }; // B's pattern within A's
    else if (nnz === B.nnz) union = { pattern: B, mapA, mapB: null };
    else union = { pattern: new CsrPattern(A.rows, A.cols, indptr, indices), mapA, mapB };
  }
  cache.set(B, union);
  return union;
}

interface Scalar {
  value: number;
  tensor: Tensor | null;
}

function scalarArg(op: string, name: string, x: unknown): Scalar {
  if (x === undefined) return { value: 1, tensor: null };
  if (typeof x === 'number') return { value: x, tensor: null };
  if (x instanceof Tensor) {
    if (x.size !== 1) fail(op, `${name} must be a number or a scalar Tensor (0-D or one element) but has shape ${shapeStr(x.shape)}`);
    // The kernels take α and β by value: a device scalar is read back (one value; it waits for the device).
    return { value: x.device === 'cpu' ? x.data[0]! : x.item(), tensor: x };
  }
  return expected(op, 'a number or a scalar Tensor', name, x);
}

function scalarTensor(dtype: DType, value: number, shape: readonly number[]): Tensor {
  const data = allocate(dtype, 1);
  data[0] = value;
  return new Tensor(data, shape);
}

export function spadd(A: CsrMatrix, B: CsrMatrix, opts: SpaddOptions = {}): CsrMatrix {
  const op = 'spadd';
  // Validate arguments
  csrArg(op, 'A', A);
  csrArg(op, 'B', B);
  const o = optionsArg<SpaddOptions>(op, opts);
  const alpha = scalarArg(op, 'alpha', o.alpha);
  const beta = scalarArg(op, 'beta', o.beta);
  if (A.rows !== B.rows || A.cols !== B.cols) fail(op, `A has shape ${shapeStr(A.shape)} but B has shape ${shapeStr(B.shape)} (they must match)`);
  sameKind(op, ['A', A], ['B', B]);
  if (alpha.tensor) sameKind(op, ['A', A], ['alpha', alpha.tensor]);
  if (beta.tensor) sameKind(op, ['A', A], ['beta', beta.tensor]);
  if (A.device === 'cuda') return spaddDevice(A, B, alpha, beta);

  // Forward
  const { pattern, mapA, mapB } = unionOf(A.pattern, B.pattern);
  const c = uninit(A.dtype, pattern.nnz); // the kernel writes every entry
  kernel<Values>('spaddValues')(
    A.rows, pattern.raw.indptr, A.pattern.raw.indptr, A.values.data, mapA,
    B.pattern.raw.indptr, B.values.data, mapB, alpha.value, beta.value, c,
  );
  const C = new CsrMatrix(pattern, new Tensor(c, [pattern.nnz]));

  record(op, C.values, [A.values, B.values, alpha.tensor, beta.tensor], (v, needs) => {
    const [needA, needB, needAlpha, needBeta] = needs as [boolean, boolean, boolean, boolean];
    // On C's own pattern with a scale of 1, an operand's gradient is V itself
    // (gradients are never mutated in place, so sharing is safe).
    const shareA = needA && mapA === null && alpha.value === 1;
    const shareB = needB && mapB === null && beta.value === 1;
    // dA = α V ⊙ mask(A)
    const dA = needA && !shareA ? uninit(A.dtype, A.nnz) : null;
    // dB = β V ⊙ mask(B)
    const dB = needB && !shareB ? uninit(B.dtype, B.nnz) : null;
    let dots: [number, number] = [0, 0];
    if (dA || dB || needAlpha || needBeta) {
      // dα = ⟨V, A⟩,  dβ = ⟨V, B⟩
      dots = kernel<Backward>('spaddBackward')(
        v.data,
        A.nnz, mapA, needAlpha ? A.values.data : null, alpha.value, dA,
        B.nnz, mapB, needBeta ? B.values.data : null, beta.value, dB,
      );
    }
    return [
      shareA ? v : dA && new Tensor(dA, [A.nnz]),
      shareB ? v : dB && new Tensor(dB, [B.nnz]),
      needAlpha ? scalarTensor(A.dtype, dots[0], alpha.tensor!.shape) : null,
      needBeta ? scalarTensor(A.dtype, dots[1], beta.tensor!.shape) : null,
    ];
  });
  return C;
}

// ---------------------------------------------------------------------------
// On the device

/** Union with the maps on the device (null: the identity). */
interface DeviceUnion {
  pattern: CsrPattern;
  mapA: DeviceArray | null;
  mapB: DeviceArray | null;
}

type DPattern = [nnz: number, indptr: DeviceArray, indices: DeviceArray];
type DSymbolic = (rows: number, ...args: [...DPattern, ...DPattern, cIndptr: DeviceArray]) => number;
type DStructure = (rows: number, ...args: [...DPattern, ...DPattern, ...DPattern, mapA: DeviceArray, mapB: DeviceArray]) => void;
type DValues = (
  rows: number, cNnz: number, cIndptr: DeviceArray,
  aNnz: number, aIndptr: DeviceArray, a: DeviceArray, mapA: DeviceArray | null,
  bNnz: number, bIndptr: DeviceArray, b: DeviceArray, mapB: DeviceArray | null,
  alpha: number, beta: number, c: DeviceArray,
) => void;
type DBackward = (
  v: DeviceArray, cNnz: number,
  nA: number, mapA: DeviceArray | null, a: DeviceArray | null, alpha: number, dA: DeviceArray | null,
  nB: number, mapB: DeviceArray | null, b: DeviceArray | null, beta: number, dB: DeviceArray | null,
) => [number, number];

function devicePattern(p: CsrPattern): DPattern {
  const d = p.deviceArrays();
  return [p.nnz, d.indptr, d.indices];
}

function live(u: DeviceUnion): boolean {
  return !(u.mapA?.disposed ?? false) && !(u.mapB?.disposed ?? false);
}

function deviceUnionOf(A: CsrPattern, B: CsrPattern): DeviceUnion {
  if (A === B) return { pattern: A, mapA: null, mapB: null };
  const cache = unionCache<DeviceUnion>(A, 'device:spadd');
  let union = cache.get(B);
  if (union && live(union)) return union;
  const host = unionCache<Union>(A, 'spadd').get(B);
  union = host
    ? { pattern: host.pattern, mapA: host.mapA && upload(host.mapA), mapB: host.mapB && upload(host.mapB) }
    : deviceUnionFromKernels(A, B);
  cache.set(B, union);
  return union;
}

/** The union by the device kernels; also cached for the CPU path (from one download of what is kept). */
function deviceUnionFromKernels(A: CsrPattern, B: CsrPattern): DeviceUnion {
  const a = devicePattern(A);
  const b = devicePattern(B);
  const made: DeviceArray[] = [deviceAlloc('int32', A.rows + 1)];
  const dispose = (): void => made.forEach((d) => d.dispose());
  let union: DeviceUnion;
  let host: Union;
  try {
    const indptr = made[0]!;
    const nnz = kernel<DSymbolic>('dSpaddSymbolic')(A.rows, ...a, ...b, indptr);
    if (nnz === A.nnz && nnz === B.nnz) {
      dispose(); // equal patterns
      unionCache<Union>(A, 'spadd').set(B, { pattern: A, mapA: null, mapB: null });
      return { pattern: A, mapA: null, mapB: null };
    }
    const indices = deviceAlloc('int32', nnz);
    const mapA = deviceAlloc('int32', A.nnz);
    const mapB = deviceAlloc('int32', B.nnz);
    made.push(indices, mapA, mapB);
    kernel<DStructure>('dSpaddStructure')(A.rows, ...a, ...b, nnz, indptr, indices, mapA, mapB);
    if (nnz === A.nnz) {
      // B's pattern within A's: C is A's pattern, A's map the identity.
      for (const d of [indptr, indices, mapA]) d.dispose();
      union = { pattern: A, mapA: null, mapB };
      host = { pattern: A, mapA: null, mapB: download(mapB) as Int32Array };
    } else if (nnz === B.nnz) {
      for (const d of [indptr, indices, mapB]) d.dispose();
      union = { pattern: B, mapA, mapB: null };
      host = { pattern: B, mapA: download(mapA) as Int32Array, mapB: null };
    } else {
      const pattern = new CsrPattern(A.rows, A.cols, download(indptr) as Int32Array, download(indices) as Int32Array);
      pattern.deviceArrays({ indptr, indices });
      union = { pattern, mapA, mapB };
      host = { pattern, mapA: download(mapA) as Int32Array, mapB: download(mapB) as Int32Array };
    }
  } catch (e) {
    dispose();
    throw e;
  }
  unionCache<Union>(A, 'spadd').set(B, host);
  return union;
}

function spaddDevice(A: CsrMatrix, B: CsrMatrix, alpha: Scalar, beta: Scalar): CsrMatrix {
  const { pattern, mapA, mapB } = deviceUnionOf(A.pattern, B.pattern);
  const c = deviceEmpty(A.dtype, [pattern.nnz]); // the kernel writes every entry
  // The row pointers are for the emulated device's CPU kernel; the GPU goes by the maps alone.
  kernel<DValues>('dSpaddValues')(
    A.rows, pattern.nnz, pattern.deviceArrays().indptr,
    A.nnz, A.pattern.deviceArrays().indptr, A.values.buffer, mapA,
    B.nnz, B.pattern.deviceArrays().indptr, B.values.buffer, mapB,
    alpha.value, beta.value, c.buffer,
  );
  const C = new CsrMatrix(pattern, c);

  record('spadd', c, [A.values, B.values, alpha.tensor, beta.tensor], (v, needs) => {
    const [needA, needB, needAlpha, needBeta] = needs as [boolean, boolean, boolean, boolean];
    // On C's own pattern with a scale of 1, an operand's gradient is V itself.
    const shareA = needA && mapA === null && alpha.value === 1;
    const shareB = needB && mapB === null && beta.value === 1;
    // dA = α V ⊙ mask(A)
    const dA = needA && !shareA ? deviceEmpty(A.dtype, [A.nnz]) : null;
    // dB = β V ⊙ mask(B)
    const dB = needB && !shareB ? deviceEmpty(B.dtype, [B.nnz]) : null;
    let dots: [number, number] = [0, 0];
    if (dA || dB || needAlpha || needBeta) {
      // dα = ⟨V, A⟩,  dβ = ⟨V, B⟩  (summed in double on the device and read back)
      dots = kernel<DBackward>('dSpaddBackward')(
        v.buffer, pattern.nnz,
        A.nnz, mapA, needAlpha ? A.values.buffer : null, alpha.value, dA?.buffer ?? null,
        B.nnz, mapB, needBeta ? B.values.buffer : null, beta.value, dB?.buffer ?? null,
      );
    }
    return [
      shareA ? v : dA,
      shareB ? v : dB,
      needAlpha ? deviceFull(A.dtype, alpha.tensor!.shape, dots[0]) : null,
      needBeta ? deviceFull(A.dtype, beta.tensor!.shape, dots[1]) : null,
    ];
  });
  return C;
}
