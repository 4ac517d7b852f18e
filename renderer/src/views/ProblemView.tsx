// Problem builder: the spec as a block diagram (matrix → method → learnable
// parameters → loss → optimizer); pick a block to edit its fields. Presets set
// the whole spec; specs save and load as JSON. The host validates as you type.
import { useEffect, useState } from 'react';
import { blocksOf, getPath, parseField, type Block, type Field } from '../lib/spec-fields.js';
import { useLab } from '../store/index.js';

function FieldInput({ field, issue }: { field: Field; issue: string | undefined }) {
  const value = useLab((s) => getPath(s.spec, field.path));
  const localError = useLab((s) => s.fieldErrors[field.path]);
  const setField = useLab((s) => s.setField);
  const setFieldError = useLab((s) => s.setFieldError);
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    // Follow the spec when it changes from outside (a preset, a loaded file).
    if (!localError) setText(value === undefined ? '' : String(value));
  }, [value, localError]);
  const id = `field-${field.path.replace(/\W/g, '-')}`;
  const error = localError ?? issue;
  const errId = `${id}-error`;
  let input;
  if (field.type === 'bool') {
    input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => setField(field.path, e.target.checked)} />;
  } else if (field.type === 'select') {
    const options = field.options ?? [];
    input = (
      <select id={id} value={String(value)} onChange={(e) => setField(field.path, e.target.value)} aria-invalid={!!error} aria-describedby={error ? errId : undefined}>
        {options.includes(String(value)) ? null : <option value={String(value)}>{String(value)}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        id={id}
        value={text}
        inputMode={field.type === 'text' ? 'text' : 'decimal'}
        aria-invalid={!!error}
        aria-describedby={error ? errId : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseField(field, e.target.value);
          if ('error' in r) setFieldError(field.path, r.error);
          else setField(field.path, r.value);
        }}
      />
    );
  }
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{field.label}</label>
      {input}
      {field.hint ? <small className="muted">{field.hint}</small> : null}
      {error ? (
        <small id={errId} className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}

function Diagram({ blocks, open, setOpen, issuesBy }: { blocks: Block[]; open: string; setOpen(id: Block['id']): void; issuesBy: (b: Block) => boolean }) {
  return (
    <ol className="diagram" aria-label="Problem as a block diagram">
      {blocks.map((b, i) => (
        <li key={b.id}>
          <button type="button" className={`block${open === b.id ? ' open' : ''}${issuesBy(b) ? ' has-issue' : ''}`} aria-pressed={open === b.id} onClick={() => setOpen(b.id)}>
            <span className="block-title">{b.title}</span>
            <span className="block-summary">{b.summary}</span>
          </button>
          {i < blocks.length - 1 ? (
            <span className="arrow" aria-hidden="true">
              →
            </span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function LoadedMatrixPicker() {
  const order = useLab((s) => s.matrixOrder);
  const all = useLab((s) => s.matrices);
  const matrices = order.map((id) => all[id]!).filter((m) => m && m.state === 'ready' && m.origin.kind === 'file');
  const setField = useLab((s) => s.setField);
  const kind = useLab((s) => getPath(s.spec, 'matrix.kind'));
  if (kind === 'graph') return null;
  return (
    <div className="field">
      <label htmlFor="use-loaded">Use a loaded matrix</label>
      <select
        id="use-loaded"
        value=""
        onChange={(e) => {
          const m = matrices.find((x) => x.id === e.target.value);
          if (m && m.origin.kind === 'file') setField('matrix', { kind: 'file', path: m.origin.path });
        }}
      >
        <option value="">{matrices.length ? 'choose…' : 'none loaded (see Matrices)'}</option>
        {matrices.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
      <button type="button" className="small" onClick={() => setField('matrix', { kind: 'generator', name: 'poisson1d', n: 16 })}>
        Use a generator
      </button>
    </div>
  );
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ProblemView() {
  const presets = useLab((s) => s.presets);
  const presetName = useLab((s) => s.presetName);
  const spec = useLab((s) => s.spec);
  const issues = useLab((s) => s.specIssues);
  const fieldErrors = useLab((s) => s.fieldErrors);
  const choosePreset = useLab((s) => s.choosePreset);
  const loadSpecJson = useLab((s) => s.loadSpecJson);
  const startRun = useLab((s) => s.startRun);
  const setTab = useLab((s) => s.setTab);
  const [open, setOpen] = useState<Block['id']>('method');
  const blocks = blocksOf(spec);
  const current = blocks.find((b) => b.id === open) ?? blocks[0]!;
  const fieldPaths = new Set(blocks.flatMap((b) => b.fields.map((f) => f.path)));
  // An issue whose path is no field's is shown with the block it belongs to, or at the top.
  const issueFor = (path: string): string | undefined => issues?.find((i) => i.path === path)?.message;
  const strayIssues = (issues ?? []).filter((i) => !fieldPaths.has(i.path));
  const blockHasIssue = (b: Block): boolean => (issues ?? []).some((i) => i.path.startsWith(b.id) || b.fields.some((f) => f.path === i.path)) || b.fields.some((f) => fieldErrors[f.path]);
  const valid = issues !== null && issues.length === 0 && Object.keys(fieldErrors).length === 0;

  return (
    <div className="problem">
      <section className="card toolbar" aria-label="Problem">
        <label htmlFor="preset">
          Preset
          <select id="preset" value={presets.some((p) => p.name === presetName) ? presetName : ''} onChange={(e) => choosePreset(e.target.value)}>
            {presets.some((p) => p.name === presetName) ? null : <option value="">custom</option>}
            {presets.map((p) => (
              <option key={p.name} value={p.name}>
                {p.title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => spec && download(`${String(spec.name ?? 'problem')}.json`, JSON.stringify(spec, null, 2) + '\n')} disabled={!spec}>
          Save spec JSON
        </button>
        <input
          id="load-spec"
          type="file"
          accept=".json,application/json"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void f.text().then(loadSpecJson);
          }}
        />
        <label htmlFor="load-spec" className="file-button">
          Load spec JSON
        </label>
        <span className={`validity ${valid ? 'ok' : issues === null ? '' : 'bad'}`} role="status">
          {issues === null ? 'checking…' : valid ? 'Spec is valid' : 'Spec has problems'}
        </span>
        <button
          type="button"
          className="primary"
          disabled={!valid}
          onClick={() => {
            void startRun();
            setTab('training');
          }}
        >
          Run this problem
        </button>
      </section>
      {spec ? (
        <>
          <p className="muted description">{String(spec.description ?? '')}</p>
          <Diagram blocks={blocks} open={open} setOpen={setOpen} issuesBy={blockHasIssue} />
          {strayIssues.length ? (
            <ul className="issues" role="alert">
              {strayIssues.map((i) => (
                <li key={i.path + i.message}>
                  {i.path ? `spec.${i.path}` : 'spec'}: {i.message}
                </li>
              ))}
            </ul>
          ) : null}
          <section className="card block-editor" aria-label={`${current.title} settings`}>
            <h2>{current.title}</h2>
            {current.id === 'matrix' ? <LoadedMatrixPicker /> : null}
            <div className="fields">
              {current.fields.map((f) => (
                <FieldInput key={f.path} field={f} issue={issueFor(f.path)} />
              ))}
            </div>
          </section>
          {Array.isArray(spec.notes) && spec.notes.length ? (
            <details className="card notes">
              <summary>Why these values (the preset's notes)</summary>
              <ul>
                {(spec.notes as string[]).map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            </details>
          ) : null}
        </>
      ) : (
        <p className="muted">Loading presets…</p>
      )}
    </div>
  );
}
