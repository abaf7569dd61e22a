import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { useAction } from '../../components/Busy.tsx';
import type { TeamHistoryView, TeamView } from '../../worker/teams.ts';
import { AddMember } from './AddMember.tsx';
import { ChainFailure } from './ChainFailure.tsx';
import { Members } from './Members.tsx';
import { TeamHistory } from './TeamHistory.tsx';
import { shortId } from './names.ts';

/**
 * A team as its verified chain has it: members, cases and history, read together. When the
 * chain fails to verify nothing of it is drawn, only the warning.
 */
export function Team({ id }: { id: string }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<{ team: TeamView; history: TeamHistoryView[] } | null>(null);
  const load = useAction();
  const create = useAction();

  const reload = () =>
    void load.run(async () => {
      const [team, history] = await Promise.all([store.client.api.team(id), store.client.api.teamHistory(id)]);
      setLoaded({ team, history });
    });
  useEffect(reload, [id]);

  const createCase = () =>
    void create.run(async () => {
      const caseId = await store.client.api.createCase(id);
      store.go({ name: 'team-case', team: id, caseId });
    });

  const team = loaded?.team;
  return (
    <main>
      <h1 tabIndex={-1}>{t('teams.name', { id: shortId(id) })}</h1>
      {load.busy && <p class="hint" role="status">{t('teams.verifying')}</p>}
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'teams' })} onRetry={reload} />
      {team && loaded && load.error === undefined && (
        <>
          {team.myRole && <p>{t('teams.yourRole', { role: t(`teams.role.${team.myRole}`) })}</p>}
          <Members team={team} onChanged={reload} />
          {team.myRole === 'coordinator' && <AddMember team={id} onAdded={reload} />}
          <section aria-labelledby="cases-title">
            <h2 id="cases-title">{t('teams.cases')}</h2>
            <ul class="records">
              {team.cases.filter((c) => team.myRole !== 'reviewer' || c.reviewers.some((r) => r.handle === team.me)).map((c) => (
                <li key={c.caseId}>
                  <button type="button" class="link" onClick={() => store.go({ name: 'team-case', team: id, caseId: c.caseId })}>
                    {c.general ? t('teams.general') : t('teams.caseName', { id: shortId(c.caseId) })}
                  </button>
                  {c.reviewers.length > 0 && <span class="hint"> · {t('teams.reviewedBy', { handles: c.reviewers.map((r) => r.handle).join(', ') })}</span>}
                </li>
              ))}
            </ul>
            <ChainFailure error={create.error} onClose={() => create.setError(undefined)} />
            {team.myRole === 'coordinator' && (
              <button type="button" class="primary" disabled={create.busy} onClick={createCase}>
                {t('teams.createCase')}
              </button>
            )}
          </section>
          <TeamHistory team={id} entries={loaded.history} />
        </>
      )}
      <button type="button" onClick={() => store.go({ name: 'teams' })}>
        {t('teams.back')}
      </button>
    </main>
  );
}
