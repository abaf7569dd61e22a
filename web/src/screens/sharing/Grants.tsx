import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { GrantView } from '../../worker/types.ts';

/** Who has or had access to a record (the owner's view), each grant's signature checked; revoke. */
export function Grants({ recordId }: { recordId: string }) {
  const { client } = useStore();
  const [grants, setGrants] = useState<GrantView[]>([]);
  const { busy, error, run } = useAction();
  const load = () => run(async () => setGrants(await client.api.grants(recordId)));
  useEffect(() => {
    void load();
  }, [recordId]);

  return (
    <section aria-labelledby="grants-title">
      <h2 id="grants-title">{t('grants.title')}</h2>
      <ErrorNotice error={error} />
      {grants.length === 0 && !busy && <p>{t('grants.none')}</p>}
      <ul class="grants">
        {grants.map((g) => (
          <li key={`${g.handle}.${g.grantedAt}`}>
            <p>
              <strong>{g.handle}</strong> · <span class={g.verified ? 'badge ok' : 'badge warn'}>{g.verified ? t('contacts.verified') : t('contacts.notVerified')}</span> ·{' '}
              {t(`grants.status.${g.status}`, { defaultValue: g.status })}
              {g.access === 'redacted' && <> · <span class="badge">{t('grants.redacted')}</span></>}
            </p>
            <p class="hint">
              {t('grants.since', { date: formatDate(g.grantedAt) })}
              {g.expiresAt && ` · ${t('grants.until', { date: formatDate(g.expiresAt) })}`}
              {g.revokedAt && ` · ${t('grants.revokedAt', { date: formatDate(g.revokedAt) })}`}
            </p>
            {g.status === 'live' && (
              <button type="button" class="danger" disabled={busy} onClick={() => void run(async () => (await client.api.revoke(recordId, g.handle), setGrants(await client.api.grants(recordId))))}>
                {t('grants.revoke', { handle: g.handle })}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
