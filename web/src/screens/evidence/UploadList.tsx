import { formatBytes, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { needsNewPick } from '../../errors.ts';
import type { UploadItem } from '../../state/uploads.ts';

function timeLeft(u: UploadItem): string {
  if (u.rate <= 0 || u.bytes >= u.size) return '';
  const s = Math.ceil((u.size - u.bytes) / u.rate);
  return s >= 60 ? t('upload.minutesLeft', { count: Math.ceil(s / 60) }) : t('upload.secondsLeft', { count: s });
}

/** Each file being sent, with its own state, progress, rate and time left. */
export function UploadList({ recordId }: { recordId: string }) {
  const { uploads } = useStore();
  const mine = uploads.items.value.filter((u) => u.recordId === recordId && u.state !== 'done');
  if (mine.length === 0) return null;
  return (
    <ul class="uploads" aria-label={t('upload.list')}>
      {mine.map((u) => (
        <li key={u.id} class={`upload ${u.state}`}>
          <div class="upload-head">
            <span class="name">{u.name}</span>
            <span class="state">{t(`upload.state.${u.state}`)}</span>
          </div>
          {(u.state === 'uploading' || u.state === 'waiting') && (
            <>
              <progress max={u.size || 1} value={u.bytes} aria-label={t('upload.progress', { name: u.name })} />
              <p class="hint">
                {t('upload.bytes', { done: formatBytes(u.bytes), total: formatBytes(u.size) })}
                {u.rate > 0 && ` · ${formatBytes(u.rate)}/s · ${timeLeft(u)}`}
              </p>
            </>
          )}
          {u.state === 'waiting' && <p class="hint">{t('upload.waitingHint')}</p>}
          {u.state === 'failed' && <ErrorNotice error={u.error} {...(needsNewPick(u.error) ? {} : { onRetry: () => uploads.retry(u.id) })} />}
          {(u.state === 'queued' || u.state === 'waiting') && (
            <button type="button" onClick={() => uploads.cancel(u.id)}>
              {t('actions.cancel')}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
