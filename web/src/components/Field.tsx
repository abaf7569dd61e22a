import { useId } from 'preact/hooks';
import type { JSX } from 'preact';

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'label'> & { value: string; onValue: (v: string) => void };

/** A labelled input with an optional hint, large enough to hit on a phone. */
export function Field({ label, hint, onValue, ...input }: InputProps & { label: string; hint?: string }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} {...input} aria-describedby={hint ? `${id}-hint` : undefined} onInput={(e) => onValue(e.currentTarget.value)} />
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextArea({ label, hint, value, onValue, rows = 10, spellcheck }: { label: string; hint?: string; value: string; onValue: (v: string) => void; rows?: number; spellcheck?: boolean }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} rows={rows} value={value} spellcheck={spellcheck} aria-describedby={hint ? `${id}-hint` : undefined} onInput={(e) => onValue(e.currentTarget.value)} />
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
    </div>
  );
}
