import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { RecordSummary, SearchQuery } from '../../worker/types.ts';

const EMPTY: SearchQuery = { text: '', tag: '', from: '', to: '' };
const SHOWN = 50;

const searching = (q: SearchQuery) => Boolean(q.text.trim() || q.tag || q.from || q.to);

/**
 * Newest first, a page at a time from the server. A search decrypts every record this
 * account can read, in the worker, and filters there: the server sees no query.
 */
export function RecordList() {
  const store = useStore();
  const [records, setRecords] = useState<RecordSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [query, setQuery] = useState<SearchQuery>(EMPTY);
  const [tags, setTags] = useState<string[]>([]);
  const [shown, setShown] = useState(SHOWN);
  const [searched, setSearched] = useState<number | null>(null);
  /** Own records picked to share at once. */
  const [picked, setPicked] = useState<string[]>([]);
  const me = store.account.value?.handle;
  const toggle = (id: string, on: boolean) => setPicked(on ? [...picked, id] : picked.filter((p) => p !== id));
  const { busy, error, run } = useAction();

  const firstPage = () =>
    run(async () => {
      const page = await store.client.api.page(null);
      setRecords(page.records);
      setCursor(page.nextCursor);
      setSearched(null);
    });

  useEffect(() => {
    void firstPage();
  }, []);

  const search = (e?: Event) => {
    e?.preventDefault();
    if (!searching(query)) return void firstPage();
    void run(async () => {
      const result = await store.client.api.search(query);
      setRecords(result.records);
      setTags(result.tags);
      setSearched(result.searched);
      setCursor(null);
      setShown(SHOWN);
    });
  };

  const more = () =>
    run(async () => {
      if (searched !== null) return setShown(shown + SHOWN);
      const page = await store.client.api.page(cursor);
      setRecords([...records, ...page.records]);
      setCursor(page.nextCursor);
    });

  const set = (k: keyof SearchQuery) => (e: Event) => setQuery({ ...query, [k]: (e.currentTarget as HTMLInputElement).value });
  const visible = searched === null ? records : records.slice(0, shown);
  const hasMore = searched === null ? cursor !== null : shown < records.length;

  return (
    <main>
      <div class="title-row">
        <h1 tabIndex={-1}>{t('records.title')}</h1>
        <button type="button" class="primary" onClick={() => store.go({ name: 'edit', id: null })}>
          {t('records.new')}
        </button>
      </div>
      <form class="search" role="search" onSubmit={search} aria-label={t('search.label')} autoComplete="off">
        <div class="field grow">
          <label for="q">{t('search.text')}</label>
          <input id="q" type="search" value={query.text} onInput={set('text')} autoComplete="off" />
        </div>
        <div class="field">
          <label for="tag">{t('search.tag')}</label>
          <input id="tag" list="tags" value={query.tag} onInput={set('tag')} autoComplete="off" onFocus={() => !tags.length && searched === null && void store.client.api.search(EMPTY).then((r) => setTags(r.tags))} />
          <datalist id="tags">
            {tags.map((tag) => (
              <option key={tag} value={tag} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="from">{t('search.from')}</label>
          <input id="from" type="date" value={query.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="to">{t('search.to')}</label>
          <input id="to" type="date" value={query.to} onInput={set('to')} />
        </div>
        <div class="actions">
          <button type="submit">{t('search.submit')}</button>
          {searching(query) && (
            <button
              type="button"
              onClick={() => {
                setQuery(EMPTY);
                void firstPage();
              }}
            >
              {t('search.clear')}
            </button>
          )}
        </div>
      </form>
      <ErrorNotice error={error} onRetry={() => (searched === null ? void firstPage() : search())} />
      {picked.length > 0 && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => store.go({ name: 'share', ids: picked })}>
            {t('records.sharePicked', { count: picked.length })}
          </button>
          <button type="button" onClick={() => setPicked([])}>
            {t('records.unpick')}
          </button>
        </div>
      )}
      {searched !== null && <p role="status">{t('search.found', { count: records.length, searched })}</p>}
      {busy && <p role="status">{t('records.loading')}</p>}
      {!busy && !error && records.length === 0 && <p>{searched === null ? t('records.empty') : t('search.none')}</p>}
      <ul class="records">
        {visible.map((r) => (
          <li key={r.id} class="record-row">
            {r.owner === me && (
              <label class="pick">
                <input type="checkbox" checked={picked.includes(r.id)} onChange={(e) => toggle(r.id, e.currentTarget.checked)} />
                <span class="visually-hidden">{t('records.pick', { title: r.title })}</span>
              </label>
            )}
            <button type="button" class="record" onClick={() => store.go({ name: 'record', id: r.id })}>
              <span class="record-title">{r.title || t('records.untitled')}</span>
              <span class="record-meta">
                {[r.place, r.occurredAt && formatDate(r.occurredAt, false), t('records.files', { count: r.attachments })].filter(Boolean).join(' · ')}
              </span>
              {r.tags.length > 0 && <span class="tags">{r.tags.map((tag) => `#${tag}`).join(' ')}</span>}
              <span class="record-meta">{t('records.written', { date: formatDate(r.writtenAt) })}</span>
            </button>
          </li>
        ))}
      </ul>
      {hasMore && (
        <button type="button" onClick={() => void more()} disabled={busy}>
          {t('records.more')}
        </button>
      )}
    </main>
  );
}
