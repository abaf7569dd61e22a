import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { RecordView, VersionView } from '../../worker/types.ts';
import { FieldRows } from '../../components/FieldRows.tsx';

/** Every version, newest first, each verified, with what changed; any one can be read as it was. */
export function Versions({ id }: { id: string }) {
  const store = useStore();
  const [versions, setVersions] = useState<VersionView[]>([]);
  const [shown, setShown] = useState<RecordView | null>(null);
  const load = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  // The version opened is read from its heading: below the list, out of sight on a phone.
  useEffect(() => heading.current?.focus(), [shown]);

  useEffect(() => {
    void load.run(async () => setVersions(await store.client.api.versions(id)));
  }, [id]);

  const show = (version: number) => load.run(async () => setShown(await store.client.api.record(id, version)));

  return (
    <main>
      <button type="button" class="link" onClick={() => store.go({ name: 'record', id })}>
        ← {t('actions.back')}
      </button>
      <h1 tabIndex={-1}>{t('versions.title')}</h1>
      {load.busy && <p role="status">{t('records.loading')}</p>}
      <ErrorNotice error={load.error} />
      <ol class="versions" reversed>
        {versions.map((v) => (
          <li key={v.version}>
            <p>
              <strong>{t('versions.version', { version: v.version })}</strong> · {formatDate(v.writtenAt)} · {v.author}
            </p>
            <p class="hint">
              {v.version === 1 ? t('versions.created') : v.changed.length === 0 ? t('versions.noChange') : t('versions.changed', { fields: v.changed.map((f) => t(`versions.field.${f}`)).join(', ') })}
            </p>
            <button type="button" onClick={() => void show(v.version)}>
              {t('versions.read')}
            </button>
          </li>
        ))}
      </ol>
      {shown && (
        <section class="old-version" aria-labelledby="old-title">
          <h2 id="old-title" tabIndex={-1} ref={heading}>
            {t('versions.reading', { version: shown.version })}
          </h2>
          <p>
            <strong>{shown.title}</strong>
          </p>
          <dl class="meta">
            <FieldRows record={shown} />
          </dl>
          <div class="narrative">{shown.narrative}</div>
          <button type="button" onClick={() => setShown(null)}>
            {t('actions.close')}
          </button>
        </section>
      )}
    </main>
  );
}
