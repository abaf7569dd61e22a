import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { InboxFailure, InboxItem } from '../../worker/types.ts';
import { messageKey, shownCode } from '../../errors.ts';

/**
 * What others shared with this account: by whom (and whether that person is verified), until
 * when; searched in the worker over what it decrypted, as the own records are.
 */
export function Inbox() {
  const store = useStore();
  const [items, setItems] = useState<InboxItem[]>([]);
  const [failures, setFailures] = useState<InboxFailure[]>([]);
  const [text, setText] = useState('');
  const [searched, setSearched] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const load = (query: string) =>
    run(async () => {
      const inbox = await store.client.api.inbox(query);
      setItems(inbox.items);
      setFailures(inbox.failures);
      setSearched(query.trim() ? query : null);
    });
  useEffect(() => {
    void load('');
  }, []);
  const submit = (e: Event) => {
    e.preventDefault();
    void load(text);
  };
  return (
    <main>
      <h1 tabIndex={-1}>{t('inbox.title')}</h1>
      <form class="search" role="search" onSubmit={submit} aria-label={t('inbox.searchLabel')} autoComplete="off">
        <div class="field grow">
          <label for="inbox-q">{t('search.text')}</label>
          <input id="inbox-q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" />
        </div>
        <div class="actions">
          <button type="submit">{t('search.submit')}</button>
          {searched !== null && (
            <button
              type="button"
              onClick={() => {
                setText('');
                void load('');
              }}
            >
              {t('search.clear')}
            </button>
          )}
        </div>
      </form>
      {busy && <p role="status">{t('records.loading')}</p>}
      <ErrorNotice error={error} onRetry={() => void load(searched ?? '')} />
      {!busy && !error && items.length === 0 && failures.length === 0 && <p>{searched === null ? t('inbox.empty') : t('search.none')}</p>}
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
      {!busy && !error && failures.length > 0 && <Unverified failures={failures} />}
    </main>
  );
}

/** Shared records that failed their checks, each named, none shown: the rest stay usable. */
function Unverified({ failures }: { failures: InboxFailure[] }) {
  return (
    <section class="tamper" role="alert" aria-labelledby="inbox-failed">
      <h2 id="inbox-failed">{t('inbox.failedTitle')}</h2>
      <ul>
        {failures.map((f) => {
          const id = f.recordId.slice(0, 8);
          const err = { failure: f.failure };
          return (
            <li key={f.recordId}>
              {f.from ? t('inbox.failedFrom', { handle: f.from, id }) : t('inbox.failedUnknown', { id })}: {t(messageKey(err))}{' '}
              <span class="code">{t('errors.code', { code: shownCode(err) })}</span>
            </li>
          );
        })}
      </ul>
      <p>{t('inbox.failedAdvice')}</p>
    </section>
  );
}
