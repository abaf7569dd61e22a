import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { ChainFailure } from './ChainFailure.tsx';
import { mayProceed, PersonCheck, type CheckedPerson } from './PersonCheck.tsx';

/** A coordinator adds a person by handle, after the safety-number check, as member or coordinator. */
export function AddMember({ team, onAdded }: { team: string; onAdded: () => void }) {
  const store = useStore();
  const [person, setPerson] = useState<CheckedPerson | null>(null);
  const [role, setRole] = useState<'member' | 'coordinator'>('member');
  const [added, setAdded] = useState('');
  const add = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    if (!mayProceed(person)) return;
    const handle = person.contact.handle;
    void add.run(async () => {
      await store.client.api.addTeamMember(team, handle, role, !person.accepted);
      setPerson(null);
      setAdded(handle);
      onAdded();
    });
  };

  return (
    <section aria-labelledby="add-member-title">
      <h2 id="add-member-title">{t('teams.addTitle')}</h2>
      <PersonCheck key={added} id="team-member-handle" label={t('teams.addPerson')} onChecked={setPerson} />
      {person && (
        <form onSubmit={submit}>
          <div class="field">
            <label for="team-member-role">{t('teams.roleLabel')}</label>
            <select id="team-member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as 'member' | 'coordinator')}>
              <option value="member">{t('teams.role.member')}</option>
              <option value="coordinator">{t('teams.role.coordinator')}</option>
            </select>
          </div>
          <ChainFailure error={add.error} onClose={() => add.setError(undefined)} />
          <button type="submit" class="primary" disabled={add.busy || !mayProceed(person)}>
            {t('teams.add', { handle: person.contact.handle })}
          </button>
        </form>
      )}
      {added && !person && <Info>{t('teams.added', { handle: added })}</Info>}
    </section>
  );
}
