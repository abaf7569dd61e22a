import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { useAction } from '../../components/Busy.tsx';
import type { TeamRecordSummary, TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { ShareCase } from './ShareCase.tsx';
import { WriteTestimony } from './WriteTestimony.tsx';
import { shortId } from './names.ts';

/** A case: its verified records (all or none), writing into it, and its reviewers. */
export function Case({ team, caseId }: { team: string; caseId: string }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<{ team: TeamView; records: TeamRecordSummary[] } | null>(null);
  const load = useAction();

  const reload = () =>
    void load.run(async () => {
      const [info, records] = await Promise.all([store.client.api.team(team), store.client.api.caseRecords(team, caseId)]);
      setLoaded({ team: info, records });
    });
  useEffect(reload, [team, caseId]);

  const item = loaded?.team.cases.find((c) => c.caseId === caseId);
  const role = loaded?.team.myRole;
  return (
    <main>
      <h1 tabIndex={-1}>{caseId === team ? t('teams.general') : t('teams.caseName', { id: shortId(caseId) })}</h1>
      <p class="hint">{t('teams.name', { id: shortId(team) })}</p>
      {load.busy && <p class="hint" role="status">{t('teams.verifying')}</p>}
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'team', id: team })} onRetry={reload} />
      {loaded && load.error === undefined && (
        <>
          <section aria-labelledby="case-records-title">
            <h2 id="case-records-title">{t('teams.records')}</h2>
            {loaded.records.length === 0 && <p>{t('teams.noRecords')}</p>}
            <ul class="records">
              {loaded.records.map((r) => (
                <li key={r.id}>
                  <button type="button" class="link" onClick={() => store.go({ name: 'team-record', team, id: r.id })}>
                    {r.title}
                  </button>
                  <span class="hint"> · {t('teams.writtenBy', { handle: r.author, date: formatDate(r.writtenAt) })}</span>
                </li>
              ))}
            </ul>
          </section>
          {(role === 'member' || role === 'coordinator') && <WriteTestimony team={team} caseId={caseId} addedBy={loaded.team.addedBy} onWritten={reload} />}
          {role === 'coordinator' && item && <ShareCase team={team} item={item} onChanged={reload} />}
        </>
      )}
      {role !== 'reviewer' && (
        <button type="button" onClick={() => store.go({ name: 'team', id: team })}>
          {t('teams.backToTeam')}
        </button>
      )}
    </main>
  );
}
