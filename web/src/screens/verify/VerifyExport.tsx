import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { ExportCheck } from '../../worker/types.ts';
import { EventList } from '../history/EventList.tsx';
import { DropZone } from '../../components/DropZone.tsx';

/**
 * For anyone, with no account: drop an exported history (JSON) or an evidence bundle (zip)
 * and see it verified here, offline — the log's signed checkpoint, every event's proof, and
 * for a bundle every file against MANIFEST.sha256, which is not signed (said on the page).
 * Nothing is sent anywhere.
 */
export function VerifyExport() {
  const store = useStore();
  const [result, setResult] = useState<ExportCheck | null>(null);
  const { busy, error, run } = useAction();
  const check = (file: File | undefined) => {
    if (!file) return;
    setResult(null);
    void run(async () => setResult(await store.client.api.checkExport(file)));
  };
  const filesOk = result ? result.files.every((f) => f.ok) : false;

  return (
    <main>
      <button type="button" class="link" onClick={() => store.go({ name: store.unlocked.value ? 'records' : 'login' })}>
        ← {t('actions.back')}
      </button>
      <h1 tabIndex={-1}>{t('verify.title')}</h1>
      <p>{t('verify.intro')}</p>
      <DropZone pick={t('verify.pick')} accept=".json,.zip,application/json,application/zip" onFiles={(files) => check(files[0])}>
        <p>{t('verify.drop')}</p>
      </DropZone>
      {busy && <p role="status">{t('verify.checking')}</p>}
      <ErrorNotice error={error} />
      {result && (
        <section aria-labelledby="verify-result">
          <h2 id="verify-result">{filesOk ? t('verify.ok') : t('verify.filesBad')}</h2>
          <div class={filesOk ? 'notice ok' : 'notice error'} role="status">
            <p>{t('verify.record', { id: result.recordId })}</p>
            <p>{t('verify.log', { origin: result.origin, count: result.events.length })}</p>
            <p>{t('verify.key', { key: result.verifierKey })}</p>
            <p>{result.chainComplete ? t('verify.complete') : t('verify.partial')}</p>
          </div>
          {result.files.length > 0 && (
            <>
              <ul class="files-check">
                {result.files.map((f) => (
                  <li key={f.name}>
                    {f.ok ? '✓' : '✗'} {f.name} — {f.ok ? t('verify.fileOk') : t('verify.fileBad')}
                  </li>
                ))}
              </ul>
              {/* The attacker review made a bundle with an invented testimony and photo and a
                  matching manifest: only the history is signed, and the page says so. */}
              <p class="notice warn">{t('verify.filesUnsigned')}</p>
            </>
          )}
          <EventList events={result.events} />
        </section>
      )}
    </main>
  );
}
