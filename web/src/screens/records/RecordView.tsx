import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { FieldRows } from '../../components/FieldRows.tsx';
import { useAction } from '../../components/Busy.tsx';
import { Evidence } from '../evidence/Evidence.tsx';
import { Grants } from '../sharing/Grants.tsx';
import { saveBlob } from '../../state/object-urls.ts';
import type { RecordView as Record } from '../../worker/types.ts';

/** One testimony, verified and decrypted in the worker; a record that fails verification shows only the warning. */
export function RecordView({ id }: { id: string }) {
  const store = useStore();
  const [record, setRecord] = useState<Record | null>(null);
  const load = useAction();
  const remove = useAction();
  const bundle = useAction();
  const confirm = useRef<HTMLDialogElement>(null);

  const read = () =>
    load.run(async () => {
      setRecord(await store.client.api.record(id));
    });
  useEffect(() => {
    setRecord(null);
    void read();
    return store.uploads.onLanded((recordId) => recordId === id && void read());
  }, [id]);

  if (!record) {
    return (
      <main>
        <h1 tabIndex={-1}>{t('record.title')}</h1>
        {load.busy && <p role="status">{t('records.loading')}</p>}
        <ErrorNotice error={load.error} onRetry={() => void read()} />
        <button type="button" onClick={() => store.go({ name: 'records' })}>
          {t('actions.back')}
        </button>
      </main>
    );
  }

  const doDelete = () =>
    remove.run(async () => {
      await store.client.api.remove(id);
      confirm.current?.close();
      store.go({ name: 'records' });
    });

  return (
    <main>
      <button type="button" class="link" onClick={() => store.go({ name: 'records' })}>
        ← {t('records.title')}
      </button>
      <h1 tabIndex={-1}>{record.title || t('records.untitled')}</h1>
      <ErrorNotice error={load.error} />
      <dl class="meta">
        <FieldRows record={record} />
        <dt>{t('record.author')}</dt>
        <dd>
          {record.author.handle} {record.author.verified ? `(${t('record.verified')})` : `(${t('record.notVerified')})`}
        </dd>
        <dt>{t('record.version')}</dt>
        <dd>{t('record.versionOf', { version: record.version, date: formatDate(record.writtenAt) })}</dd>
      </dl>
      <p class="notice ok" role="status">
        {t('record.signatureOk')}
      </p>
      <section aria-labelledby="narrative-title">
        <h2 id="narrative-title">{t('fields.narrative')}</h2>
        <div class="narrative">{record.narrative || '—'}</div>
      </section>
      <div class="actions">
        {record.mine && (
          <button type="button" class="primary" onClick={() => store.go({ name: 'edit', id })}>
            {t('record.edit')}
          </button>
        )}
        <button type="button" onClick={() => store.go({ name: 'versions', id })}>
          {t('record.versions')}
        </button>
        {record.mine && (
          <button type="button" onClick={() => store.go({ name: 'share', ids: [id] })}>
            {t('record.share')}
          </button>
        )}
        <button type="button" onClick={() => store.go({ name: 'history', id })}>
          {t('record.history')}
        </button>
        <button type="button" disabled={bundle.busy} onClick={() => void bundle.run(async () => saveBlob(await store.client.api.evidenceBundle(id), `evidencia-${id.slice(0, 8)}.zip`))}>
          {bundle.busy ? t('record.bundling') : t('record.bundle')}
        </button>
        {record.mine && (
          <button type="button" class="danger" onClick={() => confirm.current?.showModal()}>
            {t('record.delete')}
          </button>
        )}
      </div>
      <ErrorNotice error={bundle.error} />
      {!record.mine && <p class="notice info">{t('record.sharedWithYou', { owner: record.owner })}</p>}
      <Evidence recordId={id} files={record.files} withheld={record.withheld} mine={record.mine} />
      {record.mine && <Grants recordId={id} />}
      <ConfirmDialog dialog={confirm} id="delete" title={t('record.deleteTitle')} confirmLabel={t('record.deleteConfirm')} onConfirm={() => void doDelete()} busy={remove.busy} error={remove.error}>
        <p>{t('record.deleteBody', { title: record.title })}</p>
      </ConfirmDialog>
    </main>
  );
}
