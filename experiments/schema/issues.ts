// One way to say what is wrong with a value that a zod schema refused, used by
// every schema in the project (problem specs, graphs, IPC params, the timing
// report): `<path>: expected <what the schema allows> but received <value>`,
// in the words of lovell/sharp's is.mjs (STYLE.md §3).
//
// <what the schema allows> is read from the schema itself, not from the one
// check that failed: the JSON Schema zod emits for the field (z.toJSONSchema)
// holds every bound, so `epochs: 0` reads "expected an integer in [1, 1000000]"
// rather than zod's "Too small: expected number to be >=1". A refinement's own
// message (a rule between fields) is kept as written. zod is the validator; this
// only renders its issues.
import { z } from 'zod';

export type Path = readonly PropertyKey[];

/** One thing wrong, where it is, and what to do about it. */
export interface Issue {
  path: Path;
  message: string;
}

/** A JSON Schema node, as z.toJSONSchema writes it. */
type Json = { [k: string]: unknown };

/** How a received value is shown in a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null ? 'an object' : `a ${value.constructor?.name ?? 'object'}`;
  return typeof value;
}

/** `root.a.b[2]` (root '' gives `a.b[2]`). */
export function dottedPath(root: string, path: Path): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** An RFC 6901 JSON Pointer ('' for the root). */
export function jsonPointer(path: Path): string {
  return path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

// ---------------------------------------------------------------------------
// What a JSON Schema node allows, in words.

const SAFE = Number.MAX_SAFE_INTEGER;

function range(node: Json): string {
  const lo = typeof node.exclusiveMinimum === 'number' ? { v: node.exclusiveMinimum, open: true } : typeof node.minimum === 'number' && node.minimum > -SAFE ? { v: node.minimum, open: false } : null;
  const hi = typeof node.exclusiveMaximum === 'number' ? { v: node.exclusiveMaximum, open: true } : typeof node.maximum === 'number' && node.maximum < SAFE ? { v: node.maximum, open: false } : null;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '≥'} ${lo.v}`;
  if (hi) return ` ${hi.open ? '<' : '≤'} ${hi.v}`;
  return '';
}

function oneOfValues(values: readonly unknown[]): string {
  return values.length === 1 ? show(values[0]) : `one of ${values.map(show).join(', ')}`;
}

function describeType(type: string, node: Json, root: Json): string {
  switch (type) {
    case 'integer':
      return `an integer${range(node)}`;
    case 'number':
      return `a number${range(node)}`;
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'string': {
      const min = typeof node.minLength === 'number' ? node.minLength : 0;
      const max = typeof node.maxLength === 'number' ? node.maxLength : undefined;
      let s = min === 1 && max === undefined ? 'a non-empty string' : max !== undefined ? `a string of ${min}..${max} characters` : min > 0 ? `a string of at least ${min} characters` : 'a string';
      if (typeof node.pattern === 'string') s += ` matching /${node.pattern}/`;
      return s;
    }
    case 'array': {
      // "an array of 2 items, each a number in [0, 1)"; "an array of at most 6 items, each one of …"
      const prefix = Array.isArray(node.prefixItems) ? (node.prefixItems as Json[]) : null;
      if (prefix && prefix.length > 0) {
        const each = prefix.map((p) => describe(p, root));
        return each.every((d) => d === each[0]) ? `an array of ${prefix.length} items, each ${each[0]}` : `an array [${each.join(', ')}]`;
      }
      const min = typeof node.minItems === 'number' && node.minItems > 0 ? node.minItems : null;
      const max = typeof node.maxItems === 'number' ? node.maxItems : null;
      const count = min !== null && max !== null ? `${min}..${max} items` : max !== null ? `at most ${max} items` : min !== null ? `at least ${min} items` : 'items';
      const items = node.items && typeof node.items === 'object' ? describe(node.items as Json, root) : 'a value';
      return `an array of ${count}${items === 'a value' ? '' : `, each ${items}`}`;
    }
    case 'object':
      return 'an object';
    default:
      return `a ${type}`;
  }
}

/** What `node` allows, e.g. "an integer in [1, 1000000]", 'one of "cpu", "cuda"'. */
export function describe(node: Json | boolean | undefined, root: Json): string {
  if (node === undefined || node === true) return 'a value';
  if (node === false) return 'nothing here';
  const n = deref(node, root);
  if (typeof n.expected === 'string') return n.expected; // .meta({ expected }) on a schema JSON Schema cannot say
  if ('const' in n) return show(n.const);
  if (Array.isArray(n.enum)) return oneOfValues(n.enum);
  const alternatives = (n.anyOf ?? n.oneOf) as Json[] | undefined;
  if (Array.isArray(alternatives)) {
    // Each branch in words, once: "a number ≥ 0 or an object".
    const words = [...new Set(alternatives.map((a) => describe(a, root)))];
    return words.join(' or ');
  }
  if (Array.isArray(n.type)) return (n.type as string[]).map((t) => describeType(t, n, root)).join(' or ');
  if (typeof n.type === 'string') return describeType(n.type, n, root);
  return 'a value';
}

function deref(node: Json, root: Json): Json {
  let n = node;
  for (let i = 0; i < 32 && typeof n.$ref === 'string'; i++) {
    const ref = n.$ref as string;
    if (ref === '#') n = root;
    else {
      const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
      const target = m ? (root[m[1]!] as Record<string, Json> | undefined)?.[decodeURIComponent(m[2]!)] : undefined;
      if (!target) break;
      n = target;
    }
  }
  return n;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether a union branch is the one meant for `value`: its type, and its const fields (a discriminator), agree. */
function fits(raw: Json, value: unknown, root: Json): boolean {
  const b = deref(raw, root);
  const alternatives = (b.anyOf ?? b.oneOf) as Json[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.some((a) => fits(a, value, root));
  if (value === undefined) return true;
  const t = jsonType(value);
  const types = Array.isArray(b.type) ? (b.type as string[]) : typeof b.type === 'string' ? [b.type] : null;
  if (types && !types.some((x) => x === t || (x === 'number' && t === 'integer'))) return false;
  if (t !== 'object') return true;
  const props = (b.properties ?? {}) as Record<string, Json>;
  return Object.entries(props).every(([k, p]) => {
    const d = deref(p, root);
    return !('const' in d) || (value as Record<string, unknown>)[k] === d.const;
  });
}

/** The branches of a union that fit `value`; all of them when none does. */
function branchesFor(options: Json[], value: unknown, root: Json): Json[] {
  const fit = options.filter((o) => fits(o, value, root));
  return fit.length > 0 ? fit : options;
}

/** The JSON Schema node for `path` inside `node`, walking the input beside it to pick union branches. */
function nodeAt(node: Json, path: Path, input: unknown, root: Json): Json | undefined {
  let n: Json | undefined = node;
  let value = input;
  for (const key of path) {
    if (!n) return undefined;
    n = deref(n, root);
    const alternatives = (n.anyOf ?? n.oneOf ?? n.allOf) as Json[] | undefined;
    if (Array.isArray(alternatives)) {
      const inner: Json | undefined = branchesFor(alternatives, value, root)
        .map((b) => nodeAt(b, [key], value, root))
        .find((x) => x !== undefined);
      n = inner;
    } else if (typeof key === 'number' && Array.isArray(n.prefixItems) && key < n.prefixItems.length) {
      n = n.prefixItems[key] as Json;
    } else if (typeof key === 'number' && n.items && typeof n.items === 'object') {
      n = n.items as Json;
    } else if (n.properties && Object.hasOwn(n.properties as object, key as string)) {
      n = (n.properties as Record<string, Json>)[key as string];
    } else if (n.additionalProperties && typeof n.additionalProperties === 'object') {
      n = n.additionalProperties as Json;
    } else {
      n = undefined;
    }
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return n && narrow(deref(n, root), value, root);
}

/** A union node narrowed to the branch that fits `value` (by its const fields), when exactly one does. */
function narrow(node: Json, value: unknown, root: Json): Json {
  const alternatives = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (!Array.isArray(alternatives)) return node;
  const fit = branchesFor(alternatives, value, root);
  return fit.length === 1 && fit.length < alternatives.length ? narrow(deref(fit[0]!, root), value, root) : node;
}

const jsonSchemas = new WeakMap<z.ZodType, Json | null>();

/** The schema as JSON Schema (what the user writes: io 'input'), or null where zod cannot say it. */
function asJsonSchema(schema: z.ZodType): Json | null {
  let s = jsonSchemas.get(schema);
  if (s === undefined) {
    try {
      s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as Json;
    } catch {
      s = null;
    }
    jsonSchemas.set(schema, s);
  }
  return s;
}

/** Words for an issue when the schema cannot be read as JSON Schema. */
function fromIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected === 'int' ? 'integer' : issue.expected}`;
    case 'too_small':
      return `${issue.origin === 'array' ? 'at least' : issue.inclusive ? '≥' : '>'} ${issue.minimum}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `${issue.origin === 'array' ? 'at most' : issue.inclusive ? '≤' : '<'} ${issue.maximum}${issue.origin === 'array' ? ' items' : ''}`;
    case 'invalid_value':
      return oneOfValues(issue.values);
    default:
      return issue.message;
  }
}

/** The words zod gives an issue by itself (its locale's), to tell them from a schema author's own. */
function zodWords(issue: z.core.$ZodIssue): string | undefined {
  const words = z.config().localeError?.(issue as never);
  return typeof words === 'string' ? words : words?.message;
}

/**
 * Turns zod's issues for `input` under `schema` into messages a person can act
 * on, one per offending field (an unknown key is one issue per key). Parse with
 * `{ reportInput: true }` so each issue carries what was received.
 *
 * A message the schema's author gave a check names what is expected
 * (`z.string().regex(re, 'a Redis URL')` reads "expected a Redis URL but
 * received …"); a refinement's message is a sentence of its own, kept as written.
 */
export function explainIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[]): Issue[] {
  const json = asJsonSchema(schema);
  const out: Issue[] = [];
  for (const issue of issues) {
    const at = json ? nodeAt(json, issue.path, input, json) : undefined;
    const expected = at ? describe(at, json!) : fromIssue(issue);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = at && at.properties ? Object.keys(at.properties as object) : [];
        for (const key of issue.keys) {
          out.push({ path: [...issue.path, key], message: `unknown field (expected ${allowed.length ? `one of ${allowed.join(', ')}` : 'none'})` });
        }
        break;
      }
      case 'invalid_union': {
        const u = issue as z.core.$ZodIssueInvalidUnion & { discriminator?: string; options?: unknown[] };
        if (u.discriminator !== undefined && Array.isArray(u.options)) {
          // zod puts the path on the discriminator field already; what was received is that field.
          const received = typeof u.input === 'object' && u.input !== null ? (u.input as Record<string, unknown>)[u.discriminator] : u.input;
          out.push({ path: issue.path, message: `expected ${oneOfValues(u.options)} but received ${show(received)}` });
        } else out.push({ path: issue.path, message: `expected ${expected} but received ${show(u.input)}` });
        break;
      }
      case 'custom':
        // A refinement's own sentence; zod's bare default for a z.custom() gives way to its .meta({ expected }).
        out.push({ path: issue.path, message: at && typeof at.expected === 'string' && issue.message === 'Invalid input' ? `expected ${at.expected} but received ${show(issue.input)}` : issue.message });
        break;
      default: {
        const own = issue.message !== zodWords(issue) ? issue.message : null;
        out.push({ path: issue.path, message: `expected ${own ?? expected} but received ${show(issue.input)}` });
      }
    }
  }
  return out;
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; issues: Issue[] };

/** schema.safeParse, with its issues explained. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return { ok: true, data: r.data };
  return { ok: false, issues: explainIssues(schema, input, r.error.issues) };
}
