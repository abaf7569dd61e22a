import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamListItem } from '../../worker/teams.ts';
import { NameForm } from './NameForm.tsx';
import { teamTitle } from './names.ts';

/** The teams this account belongs to or reviews a case of; a new team, named, with this account as coordinator. */
export function Teams() {
  const store = useStore();
  const [teams, setTeams] = useState<TeamListItem[] | null>(null);
  const list = useAction();
  useEffect(() => {
    void list.run(async () => setTeams(await store.client.api.teams()));
  }, []);

  const createTeam = async (name: string) => {
    const id = await store.client.api.createTeam(name);
    store.go({ name: 'team', id });
  };

  return (
    <main>
      <h1 tabIndex={-1}>{t('teams.title')}</h1>
      <p>{t('teams.intro')}</p>
      {list.busy && <p class="hint" role="status">{t('teams.verifying')}</p>}
      <ErrorNotice error={list.error} />
      {teams && teams.length === 0 && <p>{t('teams.none')}</p>}
      <ul class="records">
        {(teams ?? []).map((team) => (
          <li key={team.id}>
            <button type="button" class="link" onClick={() => store.go({ name: 'team', id: team.id })}>
              {teamTitle(team.id, team.name)}
            </button>{' '}
            <span class="badge">{t(`teams.role.${team.role}`, { defaultValue: team.role })}</span>
          </li>
        ))}
      </ul>
      <section aria-labelledby="new-team-title">
        <h2 id="new-team-title">{t('teams.create')}</h2>
        <NameForm label={t('teams.teamNameLabel')} submitLabel={t('teams.create')} busyLabel={t('teams.creating')} onName={createTeam} />
      </section>
    </main>
  );
}
