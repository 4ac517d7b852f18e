// One field of the inspector, built from its JSON Schema: a number with its
// range checked as you type, a select for an enum, a checkbox, a text box. Text
// that does not parse stays in the box (and its error beside it) and out of the
// graph until it does.
import { useEffect, useState } from 'react';
import { fieldText, parseFieldText, type FieldSpec } from '../../lib/graph-doc.js';
import { useLab } from '../../store/index.js';

export function FieldInput({ spec, value, errorKey, hostIssue, onValue }: { spec: FieldSpec; value: unknown; errorKey: string; hostIssue?: string | undefined; onValue(v: unknown): void }) {
  const localError = useLab((s) => s.fieldErrors[errorKey]);
  const setFieldError = useLab((s) => s.setFieldError);
  const [text, setText] = useState(fieldText(spec, value));
  useEffect(() => {
    // Follow the graph when it changes from outside (undo, a template, a file).
    if (!localError) setText(fieldText(spec, value));
  }, [value]);
  const id = `field-${errorKey.replace(/\W/g, '-')}`;
  const error = localError ?? hostIssue;
  const errId = `${id}-error`;
  const range = [spec.min !== undefined ? `≥ ${spec.min}` : spec.exclusiveMin !== undefined ? `> ${spec.exclusiveMin}` : '', spec.max !== undefined ? `≤ ${spec.max}` : spec.exclusiveMax !== undefined ? `< ${spec.exclusiveMax}` : '']
    .filter(Boolean)
    .join(', ');
  let input;
  if (spec.kind === 'boolean') {
    input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => onValue(e.target.checked)} />;
  } else if (spec.kind === 'enum') {
    const options = spec.options ?? [];
    input = (
      <select id={id} value={value === undefined ? '' : String(value)} onChange={(e) => onValue(e.target.value === '' && spec.optional ? undefined : e.target.value)} aria-invalid={!!error} aria-describedby={error ? errId : undefined}>
        {spec.optional || !options.includes(String(value)) ? <option value="">{value === undefined ? '—' : String(value)}</option> : null}
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
        inputMode={spec.kind === 'number' || spec.kind === 'integer' ? 'decimal' : 'text'}
        aria-invalid={!!error}
        aria-describedby={error ? errId : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseFieldText(spec, e.target.value);
          if ('error' in r) setFieldError(errorKey, r.error);
          else {
            setFieldError(errorKey, null);
            onValue(r.value);
          }
        }}
      />
    );
  }
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{spec.label}</label>
      {input}
      {spec.description || range ? (
        <small className="muted">
          {spec.description ?? ''}
          {range ? `${spec.description ? ' ' : ''}(${range})` : ''}
        </small>
      ) : null}
      {error ? (
        <small id={errId} className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}
