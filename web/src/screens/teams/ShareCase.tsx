import { useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamCaseView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { mayProceed, PersonCheck, type CheckedPerson } from './PersonCheck.tsx';

/** The end of the chosen day where the person is (an end date means "through that day"). */
function endOfDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!, 23, 59, 59, 999).toISOString();
}

/** A coordinator shares the whole case, present and future, with an outside reviewer; and revokes. */
export function ShareCase({ team, item, onChanged }: { team: string; item: TeamCaseView; onChanged: () => void }) {
  const store = useStore();
  const [person, setPerson] = useState<CheckedPerson | null>(null);
  const [until, setUntil] = useState('');
  const [shared, setShared] = useState('');
  const share = useAction();
  const revoke = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    if (!mayProceed(person)) return;
    const handle = person.contact.handle;
    void share.run(async () => {
      await store.client.api.shareCase(team, item.caseId, handle, until ? endOfDay(until) : null, !person.accepted);
      setPerson(null);
      setShared(handle);
      onChanged();
    });
  };

  return (
    <section aria-labelledby="case-share-title">
      <h2 id="case-share-title">{t('teams.reviewers')}</h2>
      {item.reviewers.length === 0 && <p>{t('teams.noReviewers')}</p>}
      <ul class="grants">
        {item.reviewers.map((r) => (
          <li key={r.handle}>
            <p>
              <strong>{r.handle}</strong> · {r.expiresAt ? t('grants.until', { date: formatDate(r.expiresAt) }) : t('teams.noEnd')}
            </p>
            <button type="button" class="danger" disabled={revoke.busy} onClick={() => void revoke.run(async () => (await store.client.api.revokeCase(team, item.caseId, r.handle), onChanged()))}>
              {t('grants.revoke', { handle: r.handle })}
            </button>
          </li>
        ))}
      </ul>
      <ChainFailure error={revoke.error} onClose={() => revoke.setError(undefined)} />
      <h3>{t('teams.shareTitle')}</h3>
      <p class="hint">{t('teams.shareHint')}</p>
      <PersonCheck key={shared} id="case-reviewer-handle" label={t('share.person')} onChecked={setPerson} />
      {person && (
        <form onSubmit={submit}>
          <Field label={t('share.until')} hint={t('share.untilHint')} type="date" value={until} onValue={setUntil} />
          <ChainFailure error={share.error} onClose={() => share.setError(undefined)} />
          <button type="submit" class="primary" disabled={share.busy || !mayProceed(person)}>
            {t('teams.shareWith', { handle: person.contact.handle })}
          </button>
        </form>
      )}
      {shared && !person && <Info>{t('teams.shared', { handle: shared })}</Info>}
    </section>
  );
}
