// Browser mode's WebSocket frames: a JSON header plus the raw bytes of every
// typed array it held (a matrix file going up, a spy grid coming down), so
// nothing large is ever turned into text. Layout, little-endian:
//   u32 headerBytes | header (UTF-8 JSON) | pad to 8 | per array: bytes, pad to 8
// where the header's typed arrays were replaced by {"$bin": i, "type": T, "bytes": B}.

const TYPES = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedName = keyof typeof TYPES;
type Typed = InstanceType<(typeof TYPES)[TypedName]>;

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeFrame(value: unknown): Uint8Array {
  const arrays: Typed[] = [];
  const header = JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPES)) throw new Error(`wire: cannot send a ${name}`);
      arrays.push(v as Typed);
      return { $bin: arrays.length - 1, type: name, bytes: v.byteLength };
    }
    return v;
  });
  const head = new TextEncoder().encode(header);
  let total = pad8(4 + head.byteLength);
  for (const a of arrays) total += pad8(a.byteLength);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let at = pad8(4 + head.byteLength);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad8(a.byteLength);
  }
  return out;
}

export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4) throw new Error('wire: frame too short');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headBytes = view.getUint32(0, true);
  if (4 + headBytes > frame.byteLength) throw new Error('wire: header runs past the frame');
  const header = new TextDecoder().decode(frame.subarray(4, 4 + headBytes));
  const parsed = JSON.parse(header) as unknown;
  // The arrays' bytes follow in the order JSON.stringify met them: walk the header the same way.
  let at = pad8(4 + headBytes);
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$bin === 'number' && typeof o.type === 'string' && typeof o.bytes === 'number') {
        const Ctor = TYPES[o.type as TypedName];
        if (!Ctor) throw new Error(`wire: unknown array type ${String(o.type)}`);
        const n = o.bytes;
        if (!Number.isInteger(n) || n < 0 || at + n > frame.byteLength || n % Ctor.BYTES_PER_ELEMENT !== 0) throw new Error('wire: array runs past the frame');
        // Copy out so the array owns aligned memory of its own.
        const copy = new Uint8Array(n);
        copy.set(frame.subarray(at, at + n));
        at += pad8(n);
        return new Ctor(copy.buffer);
      }
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(o)) out[k] = resolve(item);
      return out;
    }
    return v;
  };
  return resolve(parsed);
}
