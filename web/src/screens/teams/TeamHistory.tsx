import { formatDate, t } from '../../i18n/index.ts';
import type { TeamHistoryView } from '../../worker/teams.ts';
import { caseTitle } from './names.ts';

/** Every statement of the verified chain, oldest first: who did what to whom, when, with which role. */
export function TeamHistory({ team, entries, caseNames }: { team: string; entries: TeamHistoryView[]; caseNames: Map<string, string | null> }) {
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
              case: caseTitle(team, e.caseId ?? '', caseNames.get(e.caseId ?? '')),
              until: e.expiresAt ? formatDate(e.expiresAt) : t('teams.noEnd'),
            })}{' '}
            <span class="hint">{formatDate(e.at)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
