import { useEffect, useRef, useState } from 'preact/hooks';
import { language, t } from '../../i18n/index.ts';
import { emptyDraft, useStore } from '../../state/store.ts';
import { Field, TextArea } from '../../components/Field.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTransient } from '../../errors.ts';
import type { RecordDraft } from '../../worker/types.ts';

/** Seconds between automatic attempts to save when the server is away. */
const RETRY_SECONDS = 5;
const LANGUAGES = ['es', 'en', 'fr', 'ht', 'pt', 'other'];

/**
 * Writing or editing a testimony. [Note: drafts] The draft lives in the page's memory
 * (store.drafts) from the first keystroke until a save succeeds: a failed save keeps it and
 * tries again by itself while the server is away; leaving the screen keeps it too.
 */
export function RecordEditor({ id }: { id: string | null }) {
  const store = useStore();
  const key = id ?? 'new';
  const draft = store.drafts.value[key];
  const load = useAction();
  const save = useAction();
  const [retryIn, setRetryIn] = useState(0);
  const timer = useRef<ReturnType<typeof setInterval>>();

  useEffect(() => {
    if (draft) return;
    if (!id) return store.setDraft(key, emptyDraft(language.value));
    void load.run(async () => {
      const r = await store.client.api.record(id);
      const { title, narrative, occurredAt, place, language: lang, tags } = r;
      store.setDraft(key, { title, narrative, occurredAt: occurredAt.slice(0, 10), place, language: lang, tags });
    });
  }, [id]);
  useEffect(() => () => clearInterval(timer.current), []);

  const attempt = async () => {
    clearInterval(timer.current);
    setRetryIn(0);
    const current = store.drafts.value[key];
    if (!current) return;
    const savedId = await save.run(async () => (id ? (await store.client.api.update(id, current), id) : await store.client.api.create(current)));
    if (savedId) {
      store.setDraft(key, undefined);
      store.go({ name: 'record', id: savedId });
    }
  };

  // A save refused because the server is away is tried again by itself, the draft kept.
  useEffect(() => {
    if (!save.error || !isTransient(save.error)) return;
    let left = RETRY_SECONDS;
    setRetryIn(left);
    timer.current = setInterval(() => {
      left -= 1;
      setRetryIn(left);
      if (left <= 0) void attempt();
    }, 1000);
    return () => clearInterval(timer.current);
  }, [save.error]);


  if (!draft) {
    return (
      <main>
        <h1 tabIndex={-1}>{id ? t('editor.editTitle') : t('editor.newTitle')}</h1>
        {load.busy && <p role="status">{t('records.loading')}</p>}
        <ErrorNotice error={load.error} />
      </main>
    );
  }

  const update = (change: Partial<RecordDraft>) => store.setDraft(key, { ...draft, ...change });

  const submit = async (e: Event) => {
    e.preventDefault();
    await attempt();
  };

  return (
    <main>
      <h1 tabIndex={-1}>{id ? t('editor.editTitle') : t('editor.newTitle')}</h1>
      {/* [Note: no trace in the browser profile] Form history (autofill) would keep what is
          typed here in the browser's profile on disk, readable after lock and quick exit, and
          an enhanced spell checker would send it away: both are off for testimony fields. */}
      <form class="editor" onSubmit={submit} autoComplete="off">
        <Field label={t('fields.title')} hint={t('editor.titleHint')} value={draft.title} onValue={(title) => update({ title })} required maxLength={300} autoComplete="off" spellcheck={false} />
        <TextArea label={t('fields.narrative')} hint={t('editor.narrativeHint')} value={draft.narrative} onValue={(narrative) => update({ narrative })} rows={14} spellcheck={false} />
        <div class="row">
          <Field label={t('fields.occurredAt')} type="date" value={draft.occurredAt} onValue={(occurredAt) => update({ occurredAt })} autoComplete="off" />
          <Field label={t('fields.place')} hint={t('editor.placeHint')} value={draft.place} onValue={(place) => update({ place })} autoComplete="off" spellcheck={false} />
        </div>
        <div class="row">
          <div class="field">
            <label for="language">{t('fields.language')}</label>
            <select id="language" value={draft.language} onChange={(e) => update({ language: e.currentTarget.value })}>
              <option value="">—</option>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {t(`languages.${l}`)}
                </option>
              ))}
            </select>
          </div>
          <Field
            label={t('fields.tags')}
            hint={t('editor.tagsHint')}
            value={draft.tags.join(', ')}
            onValue={(v) => update({ tags: v.split(',').map((s) => s.trimStart()) })}
            autoComplete="off"
            spellcheck={false}
          />
        </div>
        {retryIn > 0 && <Info>{t('editor.retrying', { seconds: retryIn })}</Info>}
        <ErrorNotice error={save.error} />
        {save.error !== undefined && <Info>{t('editor.draftKept')}</Info>}
        <div class="actions">
          <button type="submit" class="primary" disabled={save.busy || !draft.title.trim()}>
            {save.busy ? t('editor.saving') : t('editor.save')}
          </button>
          <button
            type="button"
            onClick={() => {
              store.setDraft(key, undefined);
              store.go(id ? { name: 'record', id } : { name: 'records' });
            }}
          >
            {t('editor.discard')}
          </button>
        </div>
      </form>
    </main>
  );
}
