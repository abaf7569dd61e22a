import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { useAction } from '../../components/Busy.tsx';
import type { TeamHistoryView, TeamView } from '../../worker/teams.ts';
import { AddMember } from './AddMember.tsx';
import { ChainFailure } from './ChainFailure.tsx';
import { Members } from './Members.tsx';
import { TeamHistory } from './TeamHistory.tsx';
import { NameForm } from './NameForm.tsx';
import { caseTitle, teamTitle } from './names.ts';

/**
 * A team as its verified chain has it: members, cases and history, read together. When the
 * chain fails to verify nothing of it is drawn, only the warning.
 */
export function Team({ id }: { id: string }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<{ team: TeamView; history: TeamHistoryView[] } | null>(null);
  const load = useAction();
  const [naming, setNaming] = useState<'team' | 'case' | null>(null);

  const reload = () =>
    void load.run(async () => {
      const [team, history] = await Promise.all([store.client.api.team(id), store.client.api.teamHistory(id)]);
      setLoaded({ team, history });
    });
  useEffect(reload, [id]);

  const createCase = async (name: string, requireVerified: boolean) => {
    const caseId = await store.client.api.createCase(id, name, requireVerified);
    store.go({ name: 'team-case', team: id, caseId });
  };
  const renameTeam = async (name: string, requireVerified: boolean) => {
    await store.client.api.renameTeamOrCase(id, null, name, requireVerified);
    setNaming(null);
    reload();
  };

  const team = loaded?.team;
  return (
    <main>
      <h1 tabIndex={-1}>{teamTitle(id, team?.name)}</h1>
      {load.busy && <p class="hint" role="status">{t('teams.verifying')}</p>}
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'teams' })} onRetry={reload} />
      {team && loaded && load.error === undefined && (
        <>
          {team.myRole && <p>{t('teams.yourRole', { role: t(`teams.role.${team.myRole}`) })}</p>}
          {team.myRole === 'coordinator' &&
            (naming === 'team' ? (
              <NameForm
                label={t('teams.teamNameLabel')} submitLabel={t('teams.saveName')} busyLabel={t('teams.savingName')}
                initial={team.name ?? ''} addedBy={team.addedBy} onName={renameTeam} onCancel={() => setNaming(null)}
              />
            ) : (
              <button type="button" onClick={() => setNaming('team')}>
                {t('teams.renameTeam')}
              </button>
            ))}
          <Members team={team} onChanged={reload} />
          {team.myRole === 'coordinator' && <AddMember team={id} onAdded={reload} />}
          <section aria-labelledby="cases-title">
            <h2 id="cases-title">{t('teams.cases')}</h2>
            <ul class="records">
              {team.cases.filter((c) => team.myRole !== 'reviewer' || c.reviewers.some((r) => r.handle === team.me)).map((c) => (
                <li key={c.caseId}>
                  <button type="button" class="link" onClick={() => store.go({ name: 'team-case', team: id, caseId: c.caseId })}>
                    {caseTitle(id, c.caseId, c.name)}
                  </button>
                  {c.reviewers.length > 0 && <span class="hint"> · {t('teams.reviewedBy', { handles: c.reviewers.map((r) => r.handle).join(', ') })}</span>}
                </li>
              ))}
            </ul>
            {team.myRole === 'coordinator' &&
              (naming === 'case' ? (
                <NameForm
                  label={t('teams.caseNameLabel')} submitLabel={t('teams.createCase')} busyLabel={t('teams.creatingCase')}
                  addedBy={team.addedBy} onName={createCase} onCancel={() => setNaming(null)}
                />
              ) : (
                <button type="button" class="primary" onClick={() => setNaming('case')}>
                  {t('teams.createCase')}
                </button>
              ))}
          </section>
          <TeamHistory team={id} entries={loaded.history} caseNames={new Map(team.cases.map((c) => [c.caseId, c.name]))} />
        </>
      )}
      <button type="button" onClick={() => store.go({ name: 'teams' })}>
        {t('teams.back')}
      </button>
    </main>
  );
}
