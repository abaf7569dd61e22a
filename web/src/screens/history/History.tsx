import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { saveBlob } from '../../state/object-urls.ts';
import type { HistoryEventView } from '../../worker/types.ts';
import { EventList } from './EventList.tsx';

/**
 * Who did what to a record, verified against the log's signed checkpoints before it is
 * shown: a history that fails is the tampering warning, never an empty list.
 */
export function History({ id }: { id: string }) {
  const store = useStore();
  const [events, setEvents] = useState<HistoryEventView[] | null>(null);
  const load = useAction();
  const exporting = useAction();
  useEffect(() => {
    void load.run(async () => setEvents(await store.client.api.history(id)));
  }, [id]);

  return (
    <main>
      <button type="button" class="link" onClick={() => store.go({ name: 'record', id })}>
        ← {t('actions.back')}
      </button>
      <h1 tabIndex={-1}>{t('history.title')}</h1>
      {load.busy && <p role="status">{t('history.verifying')}</p>}
      <ErrorNotice error={load.error} onRetry={() => void load.run(async () => setEvents(await store.client.api.history(id)))} />
      {events && (
        <>
          <p class="notice ok" role="status">
            {t('history.verified', { count: events.length })}
          </p>
          <EventList events={events} />
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
