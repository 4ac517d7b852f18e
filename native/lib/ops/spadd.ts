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
import { kernel } from '../addon.js';
import { allocate, type Device, type DType } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { CsrMatrix, CsrPattern } from '../csr.js';
import { deviceAlloc, type DeviceArray, download, upload } from '../device.js';
import { csrArg, optionsArg, sameKind } from './check.js';
import { deviceFull, empty, hostBroadcast, storage, type Storage, storageOrNull, structureOn } from './transfer.js';

export interface SpaddOptions {
  alpha?: number | Tensor;
  beta?: number | Tensor;
}

type Index = Int32Array | DeviceArray;
type PatternArgs = [nnz: number, indptr: Index, indices: Index];
type Symbolic = (rows: number, ...args: [...PatternArgs, ...PatternArgs, cIndptr: Index]) => number;
type Structure = (rows: number, ...args: [...PatternArgs, ...PatternArgs, ...PatternArgs, mapA: Index, mapB: Index]) => void;
type Values = (
  rows: number, cNnz: number, cIndptr: Index,
  aNnz: number, aIndptr: Index, a: Storage, mapA: Index | null,
  bNnz: number, bIndptr: Index, b: Storage, mapB: Index | null,
  alpha: number, beta: number, c: Storage,
) => void;
type Backward = (
  v: Storage, cNnz: number,
  nA: number, mapA: Index | null, a: Storage | null, alpha: number, dA: Storage | null,
  nB: number, mapB: Index | null, b: Storage | null, beta: number, dB: Storage | null,
  vBroadcast: boolean,
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

  const a: PatternArgs = [A.nnz, A.raw.indptr, A.raw.indices];
  const b: PatternArgs = [B.nnz, B.raw.indptr, B.raw.indices];
  const indptr = new Int32Array(A.rows + 1);
  const nnz = kernel<Symbolic>('spaddSymbolic')(A.rows, ...a, ...b, indptr);
  if (nnz === A.nnz && nnz === B.nnz) {
    union = { pattern: A, mapA: null, mapB: null }; // equal patterns
  } else {
    const indices = new Int32Array(nnz);
    const mapA = new Int32Array(A.nnz);
    const mapB = new Int32Array(B.nnz);
    kernel<Structure>('spaddStructure')(A.rows, ...a, ...b, nnz, indptr, indices, mapA, mapB);
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

/** A one-element tensor holding `value` on `device` (the gradient of a scalar α or β). */
function scalarTensor(dtype: DType, value: number, shape: readonly number[], device: Device): Tensor {
  if (device !== 'cpu') return deviceFull(dtype, shape, value);
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

  // Forward
  const device = A.device;
  const { pattern, mapA, mapB } = device === 'cpu' ? unionOf(A.pattern, B.pattern) : deviceUnionOf(A.pattern, B.pattern);
  const c = empty(A.dtype, [pattern.nnz], device); // the kernel writes every entry
  kernel<Values>('spaddValues')(
    A.rows, pattern.nnz, structureOn(pattern, device).indptr,
    A.nnz, structureOn(A.pattern, device).indptr, storage(A.values), mapA,
    B.nnz, structureOn(B.pattern, device).indptr, storage(B.values), mapB,
    alpha.value, beta.value, storage(c),
  );
  const C = new CsrMatrix(pattern, c);

  // dA = α V ⊙ mask(A);  dB = β V ⊙ mask(B);  dα = ⟨V, A⟩;  dβ = ⟨V, B⟩
  record(op, c, [A.values, B.values, alpha.tensor, beta.tensor], (v, needs) => {
    const [needA, needB, needAlpha, needBeta] = needs as [boolean, boolean, boolean, boolean];
    // On C's own pattern with a scale of 1, an operand's gradient is V itself
    // (gradients are never mutated in place, so sharing is safe).
    const shareA = needA && mapA === null && alpha.value === 1;
    const shareB = needB && mapB === null && beta.value === 1;
    const dA = needA && !shareA ? empty(A.dtype, [A.nnz], device) : null;
    const dB = needB && !shareB ? empty(B.dtype, [B.nnz], device) : null;
    let dots: [number, number] = [0, 0];
    if (dA || dB || needAlpha || needBeta) {
      // The dots are summed in double (on the device too) and read back.
      // A v whose entries are all one value (the shared constant a sum() or mean()
      // loss seeds) is read as a broadcast: the gradients are filled, v not streamed.
      dots = kernel<Backward>('spaddBackward')(
        storage(v), pattern.nnz,
        A.nnz, mapA, needAlpha ? storage(A.values) : null, alpha.value, storageOrNull(dA),
        B.nnz, mapB, needBeta ? storage(B.values) : null, beta.value, storageOrNull(dB),
        hostBroadcast(v),
      );
    }
    return [
      shareA ? v : dA,
      shareB ? v : dB,
      needAlpha ? scalarTensor(A.dtype, dots[0], alpha.tensor!.shape, device) : null,
      needBeta ? scalarTensor(A.dtype, dots[1], beta.tensor!.shape, device) : null,
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

function devicePattern(p: CsrPattern): PatternArgs {
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
    const nnz = kernel<Symbolic>('spaddSymbolic')(A.rows, ...a, ...b, indptr);
    if (nnz === A.nnz && nnz === B.nnz) {
      dispose(); // equal patterns
      unionCache<Union>(A, 'spadd').set(B, { pattern: A, mapA: null, mapB: null });
      return { pattern: A, mapA: null, mapB: null };
    }
    const indices = deviceAlloc('int32', nnz);
    const mapA = deviceAlloc('int32', A.nnz);
    const mapB = deviceAlloc('int32', B.nnz);
    made.push(indices, mapA, mapB);
    kernel<Structure>('spaddStructure')(A.rows, ...a, ...b, nnz, indptr, indices, mapA, mapB);
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
