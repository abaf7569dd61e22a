import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { Field } from '../../components/Field.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { RiskNotice } from './RiskNotice.tsx';

/**
 * A team's or a case's name, typed by a coordinator: for a new one or a rename. The name is
 * an encrypted team record, so writing it asks what writing a testimony asks: a yes to the
 * risk while whoever added this account is unverified.
 */
export function NameForm({ label, submitLabel, busyLabel, initial = '', addedBy = null, onName, onCancel }: {
  label: string;
  submitLabel: string;
  busyLabel: string;
  initial?: string;
  addedBy?: TeamView['addedBy'];
  /** Saves the name; `requireVerified` unless the person accepted the risk. */
  onName: (name: string, requireVerified: boolean) => Promise<void>;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(initial);
  const [accepted, setAccepted] = useState(false);
  const save = useAction();
  const unverified = addedBy !== null && !addedBy.verified ? addedBy.handle : null;

  const submit = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    void save.run(() => onName(name.trim(), !accepted));
  };

  return (
    <form onSubmit={submit} autoComplete="off">
      <Field label={label} hint={t('teams.nameHint')} value={name} onValue={setName} required maxLength={200} autoComplete="off" spellcheck={false} />
      {unverified && (
        <RiskNotice handle={unverified} risk={t('teams.adderRisk', { handle: unverified })} accept={t('teams.acceptAdderRisk', { handle: unverified })} accepted={accepted} onAccept={setAccepted} />
      )}
      <ChainFailure error={save.error} onClose={() => save.setError(undefined)} />
      <div class="actions">
        <button type="submit" class="primary" disabled={save.busy || !name.trim() || (unverified !== null && !accepted)}>
          {save.busy ? busyLabel : submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('actions.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
