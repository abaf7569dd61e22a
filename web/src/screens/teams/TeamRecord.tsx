import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { useAction } from '../../components/Busy.tsx';
import type { TeamRecordView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';

/** One team record, shown only after its signature, its author's membership and its key were checked. */
export function TeamRecord({ team, id }: { team: string; id: string }) {
  const store = useStore();
  const [record, setRecord] = useState<TeamRecordView | null>(null);
  const load = useAction();
  useEffect(() => {
    void load.run(async () => setRecord(await store.client.api.teamRecord(team, id)));
  }, [team, id]);

  return (
    <main class="narrow">
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'team', id: team })} />
      {record ? (
        <article>
          <h1 tabIndex={-1}>{record.title}</h1>
          <p class="hint">{t('teams.writtenBy', { handle: record.author, date: formatDate(record.writtenAt) })}</p>
          <p class="narrative">{record.narrative}</p>
        </article>
      ) : (
        <h1 tabIndex={-1}>{t('teams.record')}</h1>
      )}
      <button type="button" onClick={() => store.go(record ? { name: 'team-case', team, caseId: record.caseId } : { name: 'team', id: team })}>
        {t('teams.backToCase')}
      </button>
    </main>
  );
}
