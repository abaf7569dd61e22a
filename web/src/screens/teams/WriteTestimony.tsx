import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field, TextArea } from '../../components/Field.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { RiskNotice } from './RiskNotice.tsx';

/**
 * A testimony written into a case, sealed under the case's key. A small form: the record
 * editor writes only into the person's own records (it has no target to write elsewhere).
 */
export function WriteTestimony({ team, caseId, addedBy, onWritten }: { team: string; caseId: string; addedBy: TeamView['addedBy']; onWritten: () => void }) {
  const store = useStore();
  // [Note: a team is only as trusted as who added you] in the client library.
  const unverified = addedBy !== null && !addedBy.verified ? addedBy.handle : null;
  const [accepted, setAccepted] = useState(false);
  const [title, setTitle] = useState('');
  const [narrative, setNarrative] = useState('');
  const save = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    void save.run(async () => {
      await store.client.api.writeTeamTestimony(team, caseId, title, narrative, !accepted);
      setTitle('');
      setNarrative('');
      onWritten();
    });
  };

  return (
    <section aria-labelledby="write-title">
      <h2 id="write-title">{t('teams.write')}</h2>
      <form onSubmit={submit}>
        <Field label={t('fields.title')} value={title} onValue={setTitle} required />
        <TextArea label={t('fields.narrative')} value={narrative} onValue={setNarrative} rows={6} />
        {unverified && (
          <RiskNotice handle={unverified} risk={t('teams.adderRisk', { handle: unverified })} accept={t('teams.acceptAdderRisk', { handle: unverified })} accepted={accepted} onAccept={setAccepted} />
        )}
        <ChainFailure error={save.error} onClose={() => save.setError(undefined)} />
        <button type="submit" class="primary" disabled={save.busy || !title.trim() || (unverified !== null && !accepted)}>
          {save.busy ? t('teams.saving') : t('teams.save')}
        </button>
      </form>
    </section>
  );
}
