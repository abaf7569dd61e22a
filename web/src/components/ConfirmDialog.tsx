import type { ComponentChildren, RefObject } from 'preact';
import { t } from '../i18n/index.ts';
import { ErrorNotice } from './Notice.tsx';

/**
 * A question before something that cannot be undone (deleting a testimony, throwing a draft
 * away). Opened with `dialog.current.showModal()`. The safe answer has the focus, so a
 * second press of Enter or Space never confirms by accident; Escape closes it as that
 * answer does.
 */
export function ConfirmDialog({ dialog, id, title, children, confirmLabel, cancelLabel = t('actions.cancel'), onConfirm, busy = false, error }: {
  dialog: RefObject<HTMLDialogElement>;
  id: string;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm: () => void;
  busy?: boolean;
  error?: unknown;
}) {
  return (
    <dialog ref={dialog} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <ErrorNotice error={error} />
      <div class="actions">
        <button type="button" autoFocus onClick={() => dialog.current?.close()}>
          {cancelLabel}
        </button>
        <button type="button" class="danger" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
