import type { ComponentChildren } from 'preact';
import { useId, useRef } from 'preact/hooks';
import { t } from '../i18n/index.ts';
import { Field, TextArea } from './Field.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import type { RecordDraft } from '../worker/types.ts';

const LANGUAGES = ['es', 'en', 'fr', 'ht', 'pt', 'other'];

/**
 * The fields of a testimony, for a person's own records and for a team's: title, account,
 * when, where, language and tags. Whoever uses it keeps the draft and saves it; notices
 * and errors go in `children`, shown above the buttons. Cancelling a draft that was typed
 * in (`changed`) asks first: what was written is in this page's memory only.
 */
export function RecordForm({ draft, changed, onChange, onSubmit, busy, saveLabel, savingLabel, cancelLabel, onCancel, rows = 14, disabled = false, children }: {
  draft: RecordDraft;
  /** The draft differs from what the form started with. */
  changed: boolean;
  onChange: (change: Partial<RecordDraft>) => void;
  onSubmit: () => void;
  busy: boolean;
  saveLabel: string;
  savingLabel: string;
  cancelLabel: string;
  onCancel: () => void;
  rows?: number;
  /** A reason the save waits (a risk not yet accepted), on top of an empty title. */
  disabled?: boolean;
  children?: ComponentChildren;
}) {
  const langId = useId();
  const discard = useRef<HTMLDialogElement>(null);
  const throwAway = () => {
    discard.current?.close();
    onCancel();
  };
  return (
    // [Note: no trace in the browser profile] Form history (autofill) would keep what is
    // typed here in the browser's profile on disk, readable after lock and quick exit, and
    // an enhanced spell checker would send it away: both are off for testimony fields.
    <form
      class="editor"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Field label={t('fields.title')} hint={t('editor.titleHint')} value={draft.title} onValue={(title) => onChange({ title })} required maxLength={300} autoComplete="off" spellcheck={false} />
      <TextArea label={t('fields.narrative')} hint={t('editor.narrativeHint')} value={draft.narrative} onValue={(narrative) => onChange({ narrative })} rows={rows} spellcheck={false} />
      <div class="row">
        <Field label={t('fields.occurredAt')} type="date" value={draft.occurredAt} onValue={(occurredAt) => onChange({ occurredAt })} autoComplete="off" />
        <Field label={t('fields.place')} hint={t('editor.placeHint')} value={draft.place} onValue={(place) => onChange({ place })} autoComplete="off" spellcheck={false} />
      </div>
      <div class="row">
        <div class="field">
          <label for={langId}>{t('fields.language')}</label>
          <select id={langId} value={draft.language} onChange={(e) => onChange({ language: e.currentTarget.value })}>
            <option value="">—</option>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`languages.${l}`)}
              </option>
            ))}
          </select>
        </div>
        <Field
          label={t('fields.tags')}
          hint={t('editor.tagsHint')}
          value={draft.tags.join(', ')}
          onValue={(v) => onChange({ tags: v.split(',').map((s) => s.trimStart()) })}
          autoComplete="off"
          spellcheck={false}
        />
      </div>
      {children}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || disabled || !draft.title.trim()}>
          {busy ? savingLabel : saveLabel}
        </button>
        <button type="button" onClick={() => (changed ? discard.current?.showModal() : onCancel())}>
          {cancelLabel}
        </button>
      </div>
      <ConfirmDialog dialog={discard} id={`${langId}-discard`} title={t('editor.discardTitle')} confirmLabel={t('editor.discardConfirm')} cancelLabel={t('editor.keepWriting')} onConfirm={throwAway}>
        <p>{t('editor.discardBody')}</p>
      </ConfirmDialog>
    </form>
  );
}
