import { useEffect, useRef, useState } from 'preact/hooks';
import { language, t } from '../../i18n/index.ts';
import { emptyDraft, useStore } from '../../state/store.ts';
import { RecordForm } from '../../components/RecordForm.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTransient } from '../../errors.ts';
import type { RecordDraft } from '../../worker/types.ts';

/** Seconds between automatic attempts to save when the server is away. */
const RETRY_SECONDS = 5;

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
  // The draft as it was before any typing: discarding an unchanged one needs no question.
  const [pristine, setPristine] = useState<RecordDraft | null>(null);

  useEffect(() => {
    if (draft) return;
    if (!id) {
      const empty = emptyDraft(language.value);
      setPristine(empty);
      return store.setDraft(key, empty);
    }
    void load.run(async () => {
      const r = await store.client.api.record(id);
      const { title, narrative, occurredAt, place, language: lang, tags } = r;
      const loaded = { title, narrative, occurredAt: occurredAt.slice(0, 10), place, language: lang, tags };
      setPristine(loaded);
      store.setDraft(key, loaded);
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

  const update = (change: Partial<RecordDraft>) => store.setDraft(key, { ...draft, ...change }, true);

  return (
    <main>
      <h1 tabIndex={-1}>{id ? t('editor.editTitle') : t('editor.newTitle')}</h1>
      <RecordForm
        draft={draft}
        onChange={update}
        onSubmit={() => void attempt()}
        busy={save.busy}
        saveLabel={t('editor.save')}
        savingLabel={t('editor.saving')}
        cancelLabel={t('editor.discard')}
        changed={!pristine || JSON.stringify(pristine) !== JSON.stringify(draft)}
        onCancel={() => {
          store.setDraft(key, undefined);
          store.go(id ? { name: 'record', id } : { name: 'records' });
        }}
      >
        {retryIn > 0 && <Info>{t('editor.retrying', { seconds: retryIn })}</Info>}
        <ErrorNotice error={save.error} />
        {save.error !== undefined && <Info>{t('editor.draftKept')}</Info>}
      </RecordForm>
    </main>
  );
}
