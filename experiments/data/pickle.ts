// A small, strict reader for the Python pickles of the Planetoid datasets
// (protocol 2, written by Python 2): scipy CSR matrices, numpy arrays and a
// defaultdict of lists. It runs the pickle machine for exactly the opcodes
// those files use and builds only the few Python objects they name; any other
// opcode or global is an error naming the file and the byte offset. Nothing
// from the file is ever executed.

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** A numpy array: dtype as numpy spells it without byte order ('f4', 'i4', 'i8', …), C order. */
export interface NdArray {
  kind: 'ndarray';
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;
}

/** A scipy.sparse.csr_matrix. */
export interface PyCsr {
  kind: 'csr';
  shape: [number, number];
  indptr: NdArray;
  indices: NdArray;
  data: NdArray;
}

/** A Python 2 str (bytes). */
export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
  /** Latin-1 text, as pickle.load(encoding='latin1') gives it. */
  text(): string {
    let s = '';
    for (const b of this.bytes) s += String.fromCharCode(b);
    return s;
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | PyBytes
  | PyValue[] // list
  | PyTuple
  | PyDict
  | NdArray
  | PyCsr
  | PyGlobal
  | PyDType;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict / defaultdict; keys are numbers or strings (str keys decoded as latin-1). */
export class PyDict {
  readonly map = new Map<number | string, PyValue>();
  constructor(readonly defaultFactory: string | null = null) {}
}

class PyGlobal {
  constructor(readonly name: string) {}
}

class PyDType {
  constructor(
    readonly code: string,
    public order = '|',
  ) {}
}

/** A csr_matrix before BUILD fills in its state. */
class PendingCsr {
  state: PyDict | null = null;
}

/** An ndarray before BUILD fills in its state. */
class PendingArray {
  result: NdArray | null = null;
}

const MARK = Symbol('mark');
type Slot = PyValue | PendingCsr | PendingArray | typeof MARK;

const GLOBALS = new Set([
  'scipy.sparse.csr csr_matrix',
  'scipy.sparse._csr csr_matrix',
  'numpy.core.multiarray _reconstruct',
  'numpy ndarray',
  'numpy dtype',
  'collections defaultdict',
  '__builtin__ list',
  'builtins list',
]);

const OPNAMES: Record<number, string> = {
  0x80: 'PROTO', 0x63: 'GLOBAL', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x68: 'BINGET', 0x6a: 'LONG_BINGET',
  0x29: 'EMPTY_TUPLE', 0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x81: 'NEWOBJ',
  0x7d: 'EMPTY_DICT', 0x5d: 'EMPTY_LIST', 0x28: 'MARK', 0x55: 'SHORT_BINSTRING', 0x54: 'BINSTRING',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2', 0x4e: 'NONE', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE',
  0x52: 'REDUCE', 0x62: 'BUILD', 0x75: 'SETITEMS', 0x61: 'APPEND', 0x65: 'APPENDS', 0x2e: 'STOP',
};

/** Parses one pickle. `file` names the source in error messages. */
export function readPickle(bytes: Uint8Array, file: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, Slot>();
  let pos = 0;
  let opPos = 0;

  const bad: (msg: string) => never = (msg) => {
    throw new PickleError(`${file}: ${msg} (at byte ${opPos})`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) bad(`the pickle is truncated (needs ${n} more bytes, ${bytes.length - pos} left)`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) bad('the pickle is truncated (a GLOBAL name has no newline)');
    let s = '';
    for (let i = pos; i < end; i++) s += String.fromCharCode(bytes[i]!);
    pos = end + 1;
    return s;
  };
  const pop = (): Slot => {
    if (stack.length === 0) bad('stack underflow');
    return stack.pop()!;
  };
  const popValue = (): PyValue | PendingCsr | PendingArray => {
    const v = pop();
    if (v === MARK) bad('unexpected MARK on the stack');
    return v as PyValue | PendingCsr | PendingArray;
  };
  const popMark = (): Slot[] => {
    let k = stack.length - 1;
    while (k >= 0 && stack[k] !== MARK) k--;
    if (k < 0) bad('no MARK on the stack');
    const items = stack.slice(k + 1);
    stack.length = k;
    return items;
  };
  const top = (): Slot => {
    if (stack.length === 0) bad('stack underflow');
    return stack[stack.length - 1]!;
  };
  const dictKey = (k: Slot): number | string => {
    if (typeof k === 'number') return k;
    if (k instanceof PyBytes) return k.text();
    return bad('a dict key that is not an int or a str');
  };
  const finish = (v: Slot): PyValue => {
    if (v instanceof PendingArray) return v.result ?? bad('an ndarray was never given its state (BUILD)');
    if (v instanceof PendingCsr) return toCsr(v, bad);
    return v as PyValue;
  };

  for (;;) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto !== 2) bad(`pickle protocol ${proto} (only protocol 2 is read)`);
        break;
      }
      case 0x63: {
        const name = `${line()} ${line()}`;
        if (!GLOBALS.has(name)) bad(`unsupported global '${name}' (only scipy CSR matrices, numpy arrays and dicts of lists are read)`);
        stack.push(new PyGlobal(name));
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x68:
      case 0x6a: {
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) bad(`memo entry ${k} was never stored`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x29:
        stack.push(new PyTuple([]));
        break;
      case 0x74:
        stack.push(new PyTuple(popMark().map(finish)));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        const items: PyValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(finish(popValue()));
        stack.push(new PyTuple(items));
        break;
      }
      case 0x81: {
        const args = popValue();
        const cls = popValue();
        if (!(cls instanceof PyGlobal) || !cls.name.endsWith(' csr_matrix')) bad('NEWOBJ of something other than csr_matrix');
        if (!(args instanceof PyTuple) || args.items.length !== 0) bad('NEWOBJ with arguments');
        stack.push(new PendingCsr());
        break;
      }
      case 0x7d:
        stack.push(new PyDict());
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x28:
        stack.push(MARK);
        break;
      case 0x55:
      case 0x54: {
        const n = op === 0x55 ? u8() : i32();
        if (n < 0) bad('a string of negative length');
        need(n);
        stack.push(new PyBytes(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x52: {
        const args = popValue();
        const fn = popValue();
        if (!(fn instanceof PyGlobal)) bad('REDUCE of something that is not a known callable');
        if (!(args instanceof PyTuple)) bad('REDUCE with arguments that are not a tuple');
        stack.push(reduce(fn.name, args.items, bad));
        break;
      }
      case 0x62: {
        const state = popValue();
        const obj = top();
        if (obj instanceof PendingCsr) {
          if (!(state instanceof PyDict)) bad('csr_matrix state is not a dict');
          obj.state = state;
        } else if (obj instanceof PendingArray) {
          obj.result = buildArray(state, bad);
        } else if (obj instanceof PyDType) {
          // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
          if (!(state instanceof PyTuple) || !(state.items[1] instanceof PyBytes)) bad('dtype state is not (version, byteorder, …)');
          obj.order = state.items[1].text();
        } else {
          bad('BUILD on an object that takes no state');
        }
        break;
      }
      case 0x75: {
        const items = popMark();
        const d = top();
        if (!(d instanceof PyDict)) bad('SETITEMS on something that is not a dict');
        if (items.length % 2 !== 0) bad('SETITEMS with an odd number of items');
        for (let i = 0; i < items.length; i += 2) d.map.set(dictKey(items[i]!), finish(items[i + 1]!));
        break;
      }
      case 0x61: {
        const v = finish(popValue());
        const list = top();
        if (!Array.isArray(list)) bad('APPEND to something that is not a list');
        list.push(v);
        break;
      }
      case 0x65: {
        const items = popMark().map(finish);
        const list = top();
        if (!Array.isArray(list)) bad('APPENDS to something that is not a list');
        for (const v of items) list.push(v);
        break;
      }
      case 0x2e: {
        const result = finish(popValue());
        if (stack.length !== 0) bad('values left on the stack at STOP');
        if (pos !== bytes.length) bad(`${bytes.length - pos} bytes after the end of the pickle`);
        return result;
      }
      default:
        bad(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (this reader knows only ${Object.keys(OPNAMES).length} opcodes, those of the Planetoid files)`);
    }
  }
}

function reduce(name: string, args: PyValue[], bad: (m: string) => never): Slot {
  switch (name) {
    case 'numpy.core.multiarray _reconstruct': {
      // _reconstruct(ndarray, (0,), 'b'): an empty array, given its state by BUILD.
      const [cls] = args;
      if (!(cls instanceof PyGlobal) || cls.name !== 'numpy ndarray') bad('_reconstruct of something other than numpy.ndarray');
      return new PendingArray();
    }
    case 'numpy dtype': {
      // dtype('f4', 0, 1)
      const [code] = args;
      if (!(code instanceof PyBytes)) bad('numpy.dtype without a type code');
      return new PyDType(code.text());
    }
    case 'collections defaultdict': {
      const [factory] = args;
      if (!(factory instanceof PyGlobal) || !factory.name.endsWith(' list')) bad('a defaultdict whose factory is not list');
      return new PyDict('list');
    }
    default:
      return bad(`'${name}' cannot be called`);
  }
}

const DTYPES: Record<string, { size: number; make: (buf: ArrayBuffer, n: number) => NdArray['data'] }> = {
  f4: { size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  f8: { size: 8, make: (b, n) => new Float64Array(b, 0, n) },
  i4: { size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  i8: { size: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  i2: { size: 2, make: (b, n) => new Int16Array(b, 0, n) },
  i1: { size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  u1: { size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  b1: { size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

/** ndarray state: (version, shape, dtype, is_fortran, raw bytes). */
function buildArray(state: Slot, bad: (m: string) => never): NdArray {
  if (!(state instanceof PyTuple) || state.items.length !== 5) bad('ndarray state is not (version, shape, dtype, fortran, data)');
  const [, shapeT, dtype, fortran, raw] = state.items;
  if (!(shapeT instanceof PyTuple) || !shapeT.items.every((d) => typeof d === 'number' && d >= 0)) bad('ndarray shape is not a tuple of sizes');
  if (!(dtype instanceof PyDType)) bad('ndarray dtype is not a numpy.dtype');
  if (!(raw instanceof PyBytes)) bad('ndarray data is not a byte string');
  const shape = shapeT.items as number[];
  const info = DTYPES[dtype.code];
  if (!info) bad(`unsupported numpy dtype '${dtype.code}'`);
  if (dtype.order === '>') bad(`big-endian numpy dtype '>${dtype.code}'`);
  if (fortran === true && shape.filter((d) => d > 1).length > 1) bad('Fortran-ordered arrays are not read');
  const count = shape.reduce((a, b) => a * b, 1);
  if (raw.bytes.length !== count * info.size) {
    bad(`ndarray of shape (${shape.join(', ')}) and dtype ${dtype.code} needs ${count * info.size} bytes but has ${raw.bytes.length}`);
  }
  // Copy into an aligned buffer (the bytes sit at an arbitrary offset in the file).
  const buf = new ArrayBuffer(raw.bytes.length);
  new Uint8Array(buf).set(raw.bytes);
  return { kind: 'ndarray', dtype: dtype.code, shape, data: info.make(buf, count) };
}

function toCsr(p: PendingCsr, bad: (m: string) => never): PyCsr {
  const s = p.state ?? bad('a csr_matrix was never given its state (BUILD)');
  const get = (k: string): PyValue => {
    if (!s.map.has(k)) bad(`csr_matrix state has no '${k}'`);
    return s.map.get(k)!;
  };
  const format = get('format');
  if (!(format instanceof PyBytes) || format.text() !== 'csr') bad("csr_matrix state has a format other than 'csr'");
  const shapeT = get('_shape');
  if (!(shapeT instanceof PyTuple) || shapeT.items.length !== 2 || !shapeT.items.every((d) => typeof d === 'number')) bad('csr_matrix _shape is not a pair of ints');
  const arr = (k: string): NdArray => {
    const a = get(k);
    if (!(a instanceof Object) || (a as NdArray).kind !== 'ndarray') bad(`csr_matrix '${k}' is not an ndarray`);
    return a as NdArray;
  };
  return { kind: 'csr', shape: shapeT.items as [number, number], indptr: arr('indptr'), indices: arr('indices'), data: arr('data') };
}

// ---------------------------------------------------------------------------
// Typed accessors for callers

export function isNdArray(v: PyValue): v is NdArray {
  return typeof v === 'object' && v !== null && (v as NdArray).kind === 'ndarray';
}

export function isCsr(v: PyValue): v is PyCsr {
  return typeof v === 'object' && v !== null && (v as PyCsr).kind === 'csr';
}

/** An integer ndarray's entries as numbers (int64 checked to be safe integers). */
export function intEntries(a: NdArray, file: string): Int32Array {
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = a.data[i]!;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new PickleError(`${file}: entry ${i} (${String(v)}) is not a 32-bit integer`);
    out[i] = n;
  }
  return out;
}
