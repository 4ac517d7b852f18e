// Problem builder: the spec being edited, the preset it started from, and
// what the host's validator says about it (checked as you type, debounced).
import type { PresetInfo, SpecIssue } from '../../../electron/common/lab-api.js';
import { api } from '../api.js';
import { setPath } from '../lib/spec-fields.js';
import type { Slice } from './types.js';

export interface ProblemSlice {
  presets: PresetInfo[];
  presetName: string;
  spec: Record<string, unknown> | null;
  /** The host validator's verdict on `spec` (null while checking). */
  specIssues: SpecIssue[] | null;
  /** Fields whose text does not parse (kept out of `spec` until it does). */
  fieldErrors: Record<string, string>;
  loadPresets(): Promise<void>;
  choosePreset(name: string): void;
  setField(path: string, value: unknown): void;
  setFieldError(path: string, error: string | null): void;
  loadSpecJson(text: string): void;
  validate(): Promise<void>;
}

let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

export const createProblemSlice: Slice<ProblemSlice> = (set, get) => {
  const validateSoon = (): void => {
    if (timer) clearTimeout(timer);
    set({ specIssues: null });
    timer = setTimeout(() => void get().validate(), 150);
  };
  return {
    presets: [],
    presetName: 'jacobi',
    spec: null,
    specIssues: [],
    fieldErrors: {},

    async loadPresets() {
      try {
        const presets = await api.presets({});
        set({ presets });
        if (!get().spec) get().choosePreset(get().presetName);
      } catch (e) {
        get().notify('error', `Presets: ${(e as Error).message}`);
      }
    },

    choosePreset(name) {
      const p = get().presets.find((x) => x.name === name);
      if (!p) return;
      set({ presetName: name, spec: structuredClone(p.spec), fieldErrors: {}, specIssues: [] });
    },

    setField(path, value) {
      const spec = get().spec;
      if (!spec) return;
      const fieldErrors = { ...get().fieldErrors };
      delete fieldErrors[path];
      set({ spec: setPath(spec, path, value), fieldErrors });
      validateSoon();
    },

    setFieldError(path, error) {
      const fieldErrors = { ...get().fieldErrors };
      if (error) fieldErrors[path] = error;
      else delete fieldErrors[path];
      set({ fieldErrors });
    },

    loadSpecJson(text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        get().notify('error', `Load spec: not JSON (${(e as Error).message})`);
        return;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        get().notify('error', 'Load spec: expected a JSON object');
        return;
      }
      const kind = (parsed as { method?: { kind?: unknown } }).method?.kind;
      set({ spec: parsed as Record<string, unknown>, fieldErrors: {}, presetName: typeof kind === 'string' ? kind : get().presetName });
      validateSoon();
    },

    async validate() {
      const spec = get().spec;
      if (!spec) return;
      const mine = ++generation;
      try {
        const r = await api.validateSpec({ spec });
        if (mine !== generation) return;
        set({ specIssues: r.ok ? [] : r.errors });
      } catch (e) {
        if (mine === generation) set({ specIssues: [{ path: '', message: (e as Error).message }] });
      }
    },
  };
};
