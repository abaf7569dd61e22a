import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { InboxItem } from '../../worker/types.ts';

/** What others shared with this account: by whom (and whether that person is verified), until when. */
export function Inbox() {
  const store = useStore();
  const [items, setItems] = useState<InboxItem[]>([]);
  const { busy, error, run } = useAction();
  useEffect(() => {
    void run(async () => setItems(await store.client.api.inbox()));
  }, []);
  return (
    <main>
      <h1 tabIndex={-1}>{t('inbox.title')}</h1>
      {busy && <p role="status">{t('records.loading')}</p>}
      <ErrorNotice error={error} />
      {!busy && !error && items.length === 0 && <p>{t('inbox.empty')}</p>}
      <ul class="records">
        {items.map((i) => (
          <li key={i.recordId}>
            <button type="button" class="record" onClick={() => store.go({ name: 'record', id: i.recordId })}>
              <span class="record-title">{i.title || t('records.untitled')}</span>
              <span class="record-meta">
                {t('inbox.from', { handle: i.owner.handle })} ({i.owner.verified ? t('contacts.verified') : t('contacts.notVerified')})
              </span>
              <span class="record-meta">{i.expiresAt ? t('inbox.until', { date: formatDate(i.expiresAt) }) : t('inbox.noEnd')}</span>
              {i.redacted && <span class="record-meta">{t('inbox.redacted')}</span>}
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}
