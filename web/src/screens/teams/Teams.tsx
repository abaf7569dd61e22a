import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamListItem } from '../../worker/teams.ts';
import { shortId } from './names.ts';

/** The teams this account belongs to or reviews a case of; a new team with this account as coordinator. */
export function Teams() {
  const store = useStore();
  const [teams, setTeams] = useState<TeamListItem[] | null>(null);
  const list = useAction();
  const create = useAction();
  useEffect(() => {
    void list.run(async () => setTeams(await store.client.api.teams()));
  }, []);

  const createTeam = () =>
    void create.run(async () => {
      const id = await store.client.api.createTeam();
      store.go({ name: 'team', id });
    });

  return (
    <main>
      <h1 tabIndex={-1}>{t('teams.title')}</h1>
      <p>{t('teams.intro')}</p>
      <ErrorNotice error={list.error} />
      {teams && teams.length === 0 && <p>{t('teams.none')}</p>}
      <ul class="records">
        {(teams ?? []).map((team) => (
          <li key={team.id}>
            <button type="button" class="link" onClick={() => store.go({ name: 'team', id: team.id })}>
              {t('teams.name', { id: shortId(team.id) })}
            </button>{' '}
            <span class="badge">{t(`teams.role.${team.role}`, { defaultValue: team.role })}</span>
          </li>
        ))}
      </ul>
      <ErrorNotice error={create.error} />
      <button type="button" class="primary" disabled={create.busy} onClick={createTeam}>
        {create.busy ? t('teams.creating') : t('teams.create')}
      </button>
    </main>
  );
}
