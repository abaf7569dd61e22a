import { formatDate, t } from '../../i18n/index.ts';
import type { TeamHistoryView } from '../../worker/teams.ts';
import { shortId } from './names.ts';

/** Every statement of the verified chain, oldest first: who did what to whom, when, with which role. */
export function TeamHistory({ team, entries }: { team: string; entries: TeamHistoryView[] }) {
  return (
    <section aria-labelledby="team-history-title">
      <h2 id="team-history-title">{t('teams.history')}</h2>
      <p class="hint">{t('teams.historyVerified')}</p>
      <ol class="events" aria-labelledby="team-history-title">
        {entries.map((e) => (
          <li key={e.seq}>
            {t(`teams.action.${e.action}`, {
              defaultValue: e.action,
              by: e.by,
              subject: e.subject ?? '',
              role: e.role ? t(`teams.role.${e.role}`) : '',
              case: e.caseId === team ? t('teams.general') : t('teams.caseName', { id: shortId(e.caseId ?? '') }),
              until: e.expiresAt ? formatDate(e.expiresAt) : t('teams.noEnd'),
            })}{' '}
            <span class="hint">{formatDate(e.at)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
