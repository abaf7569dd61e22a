import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTampering } from '../../errors.ts';
import type { HistoryEventView } from '../../worker/types.ts';
import { EventList } from './EventList.tsx';

/**
 * Administrators: the whole log, oldest first, a page at a time, each page proven against
 * the signed checkpoint before it is shown. A page that fails is the tampering warning in
 * place of the list, never a list that looks fine.
 */
export function Activity() {
  const store = useStore();
  const [events, setEvents] = useState<HistoryEventView[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [size, setSize] = useState<number | null>(null);
  const [logKey, setLogKey] = useState('');
  const { busy, error, run } = useAction();
  const more = (after: number | null) =>
    run(async () => {
      const page = await store.client.api.activity(after);
      setEvents((old) => (after === null ? page.events : [...old, ...page.events]));
      setNext(page.next);
      setSize(page.checkpointSize);
    });
  useEffect(() => {
    void more(null);
    store.client.api.logKey().then(setLogKey, () => setLogKey(''));
  }, []);
  const tampered = isTampering(error);
  return (
    <main>
      <h1 tabIndex={-1}>{t('activity.title')}</h1>
      <p>{t('activity.intro')}</p>
      {busy && <p role="status">{t('history.verifying')}</p>}
      <ErrorNotice error={error} />
      {!tampered && size !== null && (
        <>
          <p class="notice ok" role="status">
            {t('activity.verified', { count: events.length, size })}
          </p>
          {logKey && <p class="hint sha">{t('activity.logKey', { key: logKey })}</p>}
          <EventList events={events} />
          {next !== null && (
            <button type="button" disabled={busy} onClick={() => void more(next)}>
              {t('records.more')}
            </button>
          )}
        </>
      )}
    </main>
  );
}
