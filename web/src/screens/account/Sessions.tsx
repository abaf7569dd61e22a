import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { SessionView } from '../../worker/types.ts';

/** Every device logged in to this account; any other one can be ended (a lost phone). */
export function Sessions() {
  const { client } = useStore();
  const [sessions, setSessions] = useState<SessionView[]>([]);
  const { busy, error, run } = useAction();
  const load = () => run(async () => setSessions(await client.api.sessions()));
  useEffect(() => {
    void load();
  }, []);

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t('sessions.title')}</h2>
      <ErrorNotice error={error} onRetry={() => void load()} />
      <ul class="sessions">
        {sessions.map((s) => (
          <li key={s.id}>
            <p>
              <strong>{s.deviceUnreadable ? t('sessions.unreadable') : (s.device ?? t('sessions.unnamed'))}</strong> {s.current && `(${t('sessions.current')})`}
            </p>
            <p class="hint">{t('sessions.times', { created: formatDate(s.createdAt), used: formatDate(s.lastUsedAt), expires: formatDate(s.expiresAt) })}</p>
            {!s.current && (
              <button type="button" disabled={busy} onClick={() => void run(async () => (await client.api.endSession(s.id), setSessions(await client.api.sessions())))}>
                {t('sessions.end')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
