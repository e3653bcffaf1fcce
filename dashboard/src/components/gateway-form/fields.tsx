import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import type { Draft } from './model.ts';

/* ---------- small labelled inputs, and the section around them ---------- */

function Hint({ id, children }: { id: string; children?: ComponentChildren }) {
  return children ? (
    <span id={id} class="hint">
      {children}
    </span>
  ) : null;
}

export function NumberField({
  label,
  value,
  onInput,
  min,
  max,
  hint,
  placeholder,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  min?: number;
  max?: number;
  hint?: ComponentChildren;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <div class="field-box">
      <label class="field">
        {label}
        <input
          type="number"
          inputMode="numeric"
          value={value}
          min={min}
          max={max}
          placeholder={placeholder}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

export function TextField({
  label,
  value,
  onInput,
  hint,
  placeholder,
  type = 'text',
  wide,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  hint?: ComponentChildren;
  placeholder?: string;
  type?: 'text' | 'url' | 'password';
  wide?: boolean;
}) {
  const id = useId();
  return (
    <div class={wide ? 'field-box wide' : 'field-box'}>
      <label class="field">
        {label}
        <input
          type={type as 'text'}
          value={value}
          placeholder={placeholder}
          autocomplete="off"
          spellcheck={false}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

export function SelectField<T extends string>({
  label,
  value,
  options,
  onChange,
  hint,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<readonly [T, string]>;
  onChange: (v: T) => void;
  hint?: ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="field-box">
      <label class="field">
        {label}
        <select
          value={value}
          aria-describedby={hint ? id : undefined}
          onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}
        >
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

export function Check({
  label,
  checked,
  onChange,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="field-box check-box">
      <label class="check">
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={hint ? id : undefined}
          onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
        />
        {label}
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

export function TextArea({
  label,
  value,
  onInput,
  hint,
  placeholder,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  hint?: ComponentChildren;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <div class="field-box wide">
      <label class="field">
        {label}
        <textarea
          class="mono"
          value={value}
          placeholder={placeholder}
          spellcheck={false}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

export function Section({
  title,
  note,
  children,
}: {
  title: string;
  note?: ComponentChildren;
  children: ComponentChildren;
}) {
  const id = useId();
  return (
    <section class="panel gw-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {note ? <p class="hint section-note">{note}</p> : null}
      {children}
    </section>
  );
}

export const NotEnforced = () => <span class="badge muted">stored; not enforced yet</span>;

/* ---------- what the sections share ---------- */

/** What every section of the form is given: the draft, a way to change it, and whether it may. */
export interface SectionProps {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  editable: boolean;
}

/* ---------- list edits for the repeated parts of the draft ---------- */

export const replaceAt = <T,>(items: T[], i: number, patch: Partial<T>): T[] =>
  items.map((x, j) => (j === i ? { ...x, ...patch } : x));
export const removeAt = <T,>(items: T[], i: number): T[] => items.filter((_, j) => j !== i);

const TECHNIQUES = [
  ['fixed', 'fixed windows'],
  ['sliding', 'sliding window'],
] as const;

/** The options of a Technique select, with `unset` naming the server default. */
export const techniqueOptions = (unset: string) => [['', unset] as const, ...TECHNIQUES];
