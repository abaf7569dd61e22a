import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTampering } from '../../errors.ts';
import { saveBlob } from '../../state/object-urls.ts';
import type { HistoryEventView } from '../../worker/types.ts';
import { EventList } from './EventList.tsx';
import { WhenSeen } from './WhenSeen.tsx';

/**
 * Who did what to a record, verified against the log's signed checkpoint before it is
 * shown, a page at a time: the first page at once, the rest as the person scrolls or asks.
 * A page that fails is the tampering warning in place of the list, never a shorter list;
 * until the last page passed, the count says "so far".
 */
export function History({ id }: { id: string }) {
  const store = useStore();
  const [events, setEvents] = useState<HistoryEventView[] | null>(null);
  const [complete, setComplete] = useState(false);
  const [othersOnly, setOthersOnly] = useState(false);
  const [logKey, setLogKey] = useState('');
  const load = useAction();
  const exporting = useAction();
  const page = (restart: boolean) =>
    load.run(async () => {
      const next = await store.client.api.historyPage(id, restart);
      setEvents((old) => (restart || !old ? next.events : [...old, ...next.events]));
      setComplete(next.complete);
    });
  const more = () => {
    if (!load.busy && !complete && !load.error) void page(false);
  };
  useEffect(() => {
    setEvents(null);
    setComplete(false);
    void page(true);
    store.client.api.logKey().then(setLogKey, () => setLogKey(''));
  }, [id]);
  const me = store.account.value?.handle;
  const shown = events && othersOnly ? events.filter((e) => e.actor !== me) : events;
  const tampered = isTampering(load.error);

  return (
    <main>
      <button type="button" class="link" onClick={() => store.go({ name: 'record', id })}>
        ← {t('actions.back')}
      </button>
      <h1 tabIndex={-1}>{t('history.title')}</h1>
      {load.busy && <p role="status">{t('history.verifying')}</p>}
      <ErrorNotice error={load.error} onRetry={() => void page(true)} />
      {events && !tampered && (
        <>
          <p class="notice ok" role="status">
            {complete ? t('history.verified', { count: events.length }) : t('history.verifiedSoFar', { count: events.length })}
          </p>
          {logKey && <p class="hint sha">{t('history.logKey', { key: logKey })}</p>}
          <p class="hint">{t('history.downloadHint')}</p>
          <label class="check">
            <input type="checkbox" checked={othersOnly} onChange={(e) => setOthersOnly(e.currentTarget.checked)} /> {t('history.othersOnly')}
          </label>
          <EventList events={shown ?? []} />
          {!complete && (
            <>
              <WhenSeen onSeen={more} />
              <button type="button" disabled={load.busy} onClick={more}>
                {t('history.more')}
              </button>
            </>
          )}
          <div class="actions">
            <button type="button" disabled={exporting.busy} onClick={() => void exporting.run(async () => saveBlob(await store.client.api.exportHistory(id), `historial-${id.slice(0, 8)}.json`))}>
              {t('history.export')}
            </button>
          </div>
          <p class="hint">{t('history.exportHint')}</p>
          <ErrorNotice error={exporting.error} />
        </>
      )}
    </main>
  );
}
