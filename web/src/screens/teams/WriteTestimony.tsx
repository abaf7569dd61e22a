import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field, TextArea } from '../../components/Field.tsx';
import { useAction } from '../../components/Busy.tsx';
import { ChainFailure } from './ChainFailure.tsx';

/**
 * A testimony written into a case, sealed under the case's key. A small form: the record
 * editor writes only into the person's own records (it has no target to write elsewhere).
 */
export function WriteTestimony({ team, caseId, onWritten }: { team: string; caseId: string; onWritten: () => void }) {
  const store = useStore();
  const [title, setTitle] = useState('');
  const [narrative, setNarrative] = useState('');
  const save = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    void save.run(async () => {
      await store.client.api.writeTeamTestimony(team, caseId, title, narrative);
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
        <ChainFailure error={save.error} onClose={() => save.setError(undefined)} />
        <button type="submit" class="primary" disabled={save.busy || !title.trim()}>
          {save.busy ? t('teams.saving') : t('teams.save')}
        </button>
      </form>
    </section>
  );
}
