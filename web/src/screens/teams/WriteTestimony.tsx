import { useState } from 'preact/hooks';
import { language, t } from '../../i18n/index.ts';
import { emptyDraft, useStore } from '../../state/store.ts';
import { RecordForm } from '../../components/RecordForm.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { RecordDraft } from '../../worker/types.ts';
import type { TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { RiskNotice } from './RiskNotice.tsx';

/**
 * A team testimony in the record editor's fields, sealed under the case's key: a new one or
 * a correction. While whoever added this account is unverified, saving waits for a yes that
 * names the risk ([Note: a team is only as trusted as who added you] in the client library).
 */
export function TestimonyForm({ initial, addedBy, saveLabel, onSave, onCancel }: {
  initial: RecordDraft;
  addedBy: TeamView['addedBy'];
  saveLabel: string;
  onSave: (draft: RecordDraft, requireVerified: boolean) => Promise<void>;
  onCancel: () => void;
}) {
  const unverified = addedBy !== null && !addedBy.verified ? addedBy.handle : null;
  const [accepted, setAccepted] = useState(false);
  const [draft, setDraft] = useState(initial);
  const save = useAction();

  return (
    <RecordForm
      draft={draft}
      changed={JSON.stringify(draft) !== JSON.stringify(initial)}
      onChange={(change) => setDraft({ ...draft, ...change })}
      onSubmit={() => void save.run(() => onSave(draft, !accepted))}
      busy={save.busy}
      disabled={unverified !== null && !accepted}
      saveLabel={saveLabel}
      savingLabel={t('teams.saving')}
      cancelLabel={t('actions.cancel')}
      onCancel={() => (setDraft(initial), onCancel())}
      rows={6}
    >
      {unverified && (
        <RiskNotice handle={unverified} risk={t('teams.adderRisk', { handle: unverified })} accept={t('teams.acceptAdderRisk', { handle: unverified })} accepted={accepted} onAccept={setAccepted} />
      )}
      <ChainFailure error={save.error} onClose={() => save.setError(undefined)} />
    </RecordForm>
  );
}

/** A new testimony written into a case. */
export function WriteTestimony({ team, caseId, addedBy, onWritten }: { team: string; caseId: string; addedBy: TeamView['addedBy']; onWritten: () => void }) {
  const store = useStore();
  // A new form after each save: the fields start empty again.
  const [written, setWritten] = useState(0);
  return (
    <section aria-labelledby="write-title">
      <h2 id="write-title">{t('teams.write')}</h2>
      <TestimonyForm
        key={written}
        initial={emptyDraft(language.value)}
        addedBy={addedBy}
        saveLabel={t('teams.save')}
        onSave={async (draft, requireVerified) => {
          await store.client.api.writeTeamTestimony(team, caseId, draft, requireVerified);
          setWritten(written + 1);
          onWritten();
        }}
        onCancel={() => setWritten(written + 1)}
      />
    </section>
  );
}
