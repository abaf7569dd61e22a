import { formatDate, t } from '../../i18n/index.ts';
import type { HistoryEventView } from '../../worker/types.ts';

/** Events in plain words: "who did what, when, with what outcome". */
export function EventList({ events }: { events: HistoryEventView[] }) {
  return (
    <ol class="events">
      {events.map((e) => (
        <li key={e.index} class={e.outcome === 'ok' ? 'event' : 'event refused'}>
          <p>
            <strong>{e.actor ?? t('history.nobody')}</strong> {t(`history.action.${e.action}`, { defaultValue: e.action, subject: e.subject ?? '' })}
            {e.outcome !== 'ok' && <span class="badge warn"> {t(`history.outcome.${e.outcome}`, { defaultValue: e.outcome })}</span>}
          </p>
          <p class="hint">
            {formatDate(e.at)} · #{e.index}
            {e.fileId && ` · ${t('history.file', { id: e.fileId.slice(0, 8) })}`}
          </p>
        </li>
      ))}
    </ol>
  );
}
