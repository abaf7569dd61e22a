import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { HistoryEventView } from '../../worker/types.ts';
import { EventList } from './EventList.tsx';

/** Administrators: the whole log, oldest first, a page at a time, each page verified. */
export function Activity() {
  const store = useStore();
  const [events, setEvents] = useState<HistoryEventView[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const { busy, error, run } = useAction();
  const more = (after: number | null) =>
    run(async () => {
      const page = await store.client.api.activity(after);
      setEvents((old) => (after === null ? page.events : [...old, ...page.events]));
      setNext(page.next);
    });
  useEffect(() => {
    void more(null);
  }, []);
  return (
    <main>
      <h1 tabIndex={-1}>{t('activity.title')}</h1>
      <p>{t('activity.intro')}</p>
      <ErrorNotice error={error} />
      <EventList events={events} />
      {next !== null && (
        <button type="button" disabled={busy} onClick={() => void more(next)}>
          {t('records.more')}
        </button>
      )}
    </main>
  );
}
