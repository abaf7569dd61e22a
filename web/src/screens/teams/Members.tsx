import { useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useAction } from '../../components/Busy.tsx';
import { useStore } from '../../state/store.ts';
import type { TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { RoleChange } from './RoleChange.tsx';

/** The team's current members, each with role and whether this account verified them; coordinators change roles and remove. */
export function Members({ team, onChanged }: { team: TeamView; onChanged: () => void }) {
  const store = useStore();
  const [removing, setRemoving] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
  const remove = useAction();
  const coordinator = team.myRole === 'coordinator';

  const confirm = (handle: string) =>
    void remove.run(async () => {
      await store.client.api.removeTeamMember(team.id, handle);
      setRemoving(null);
      onChanged();
    });

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">{t('teams.members')}</h2>
      <ul class="grants">
        {team.members.map((m) => (
          <li key={m.handle}>
            <p>
              <strong>{m.handle}</strong> · {t(`teams.role.${m.role}`)} ·{' '}
              <span class={m.verified ? 'badge ok' : 'badge warn'}>{m.verified ? t('contacts.verified') : t('contacts.notVerified')}</span>
            </p>
            <p class="hint">{t('teams.memberSince', { date: formatDate(m.since) })}</p>
            {coordinator && removing !== m.handle && changing !== m.handle && (
              <div class="actions">
                <button type="button" onClick={() => (setChanging(m.handle), setRemoving(null))}>
                  {t('teams.changeRole', { handle: m.handle })}
                </button>
                {m.handle !== team.me && (
                  <button type="button" class="danger" onClick={() => (setRemoving(m.handle), setChanging(null))}>
                    {t('teams.remove', { handle: m.handle })}
                  </button>
                )}
              </div>
            )}
            {changing === m.handle && <RoleChange team={team} member={m} onCancel={() => setChanging(null)} onDone={() => (setChanging(null), onChanged())} />}
            {removing === m.handle && (
              <div class="notice warn" role="alertdialog" aria-labelledby={`remove-${m.handle}`}>
                <p id={`remove-${m.handle}`}>
                  <strong>{t('teams.removeTitle', { handle: m.handle })}</strong>
                </p>
                <p>{t('teams.removeRotates', { handle: m.handle })}</p>
                <ChainFailure error={remove.error} onClose={() => remove.setError(undefined)} />
                <div class="actions">
                  <button type="button" class="danger" disabled={remove.busy} onClick={() => confirm(m.handle)}>
                    {remove.busy ? t('teams.removing') : t('teams.removeConfirm', { handle: m.handle })}
                  </button>
                  <button type="button" onClick={() => setRemoving(null)}>
                    {t('actions.cancel')}
                  </button>
                </div>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
