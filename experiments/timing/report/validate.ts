// A small JSON Schema validator: the subset of draft 2020-12 that
// report.schema.json uses (type, enum, const, properties, required,
// additionalProperties, items, minItems, maxItems, minimum, maximum, minLength,
// pattern, $ref to #/$defs, anyOf, if/then/else). Unknown keywords are an error,
// so the schema cannot silently rely on something this does not check.

export type JsonSchema = { [k: string]: unknown };

export interface ValidationError {
  /** JSON Pointer to the offending value ('' for the root). */
  path: string;
  message: string;
}

const KNOWN = new Set([
  '$schema', '$id', '$defs', '$ref', 'title', 'description', 'type', 'enum', 'const', 'properties', 'required',
  'additionalProperties', 'items', 'minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'pattern', 'anyOf', 'if', 'then', 'else',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  if (t === 'number') return actual === 'number' || actual === 'integer';
  return actual === t;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** All the places where `value` breaks `schema` (empty when it conforms). */
export function validate(value: unknown, schema: JsonSchema, root: JsonSchema = schema): ValidationError[] {
  const errors: ValidationError[] = [];
  const walk = (v: unknown, s: JsonSchema, path: string): void => {
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`validate: unsupported schema keyword '${k}' at ${path || '/'}`);
    const err = (message: string): void => void errors.push({ path, message });
    if (typeof s.$ref === 'string') {
      const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
      const target = m ? (root.$defs as Record<string, JsonSchema> | undefined)?.[m[1]!] : undefined;
      if (!target) throw new Error(`validate: unresolved $ref ${s.$ref}`);
      walk(v, target, path);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => matchesType(v, t))) {
        err(`expected ${types.join(' or ')} but found ${typeOf(v)}`);
        return;
      }
    }
    if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => equal(e, v))) err(`expected one of ${JSON.stringify(s.enum)} but found ${JSON.stringify(v)}`);
    if (s.const !== undefined && !equal(s.const, v)) err(`expected ${JSON.stringify(s.const)} but found ${JSON.stringify(v)}`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) err(`${v} is below the minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) err(`${v} is above the maximum ${s.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength) err(`string shorter than ${s.minLength}`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) err(`${JSON.stringify(v)} does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) err(`expected at least ${s.minItems} items but found ${v.length}`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) err(`expected at most ${s.maxItems} items but found ${v.length}`);
      if (s.items) v.forEach((item, i) => walk(item, s.items as JsonSchema, `${path}/${i}`));
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) err(`missing required property '${r}'`);
      for (const [k, val] of Object.entries(obj)) {
        const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (props[k]) walk(val, props[k], p);
        else if (s.additionalProperties === false) errors.push({ path: p, message: `unexpected property '${k}'` });
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(val, s.additionalProperties as JsonSchema, p);
      }
    }
    if (Array.isArray(s.anyOf)) {
      const ok = (s.anyOf as JsonSchema[]).some((sub) => validate(v, sub, root).length === 0);
      if (!ok) err('matches none of the allowed forms (anyOf)');
    }
    if (s.if && typeof s.if === 'object') {
      const branch = validate(v, s.if as JsonSchema, root).length === 0 ? s.then : s.else;
      if (branch && typeof branch === 'object') walk(v, branch as JsonSchema, path);
    }
  };
  walk(value, schema, '');
  return errors;
}
