import { useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';

/**
 * Copies a code to the clipboard, for a message app. An invite code opens nothing by itself
 * (it only lets someone create an account), so it may go where the clipboard keeps it.
 */
function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <>
      {/* navigator.clipboard does not exist on a plain-HTTP address other than this machine's: then the failure is said too. */}
      <button type="button" onClick={() => void Promise.resolve().then(() => navigator.clipboard.writeText(text)).then(() => setCopied(true), () => setCopied(false))}>
        {t('invites.copy')}
      </button>
      {copied !== null && <span role="status">{copied ? t('invites.copied') : t('invites.copyFailed')}</span>}
    </>
  );
}

/** Administrators: single-use invite codes for the people who will join this vault. */
export function Invites() {
  const { client } = useStore();
  const [days, setDays] = useState(7);
  const [made, setMade] = useState<{ code: string; expiresAt: string }[]>([]);
  const { busy, error, run } = useAction();
  const make = (e: Event) => {
    e.preventDefault();
    void run(async () => setMade([await client.api.createInvite(days), ...made]));
  };
  return (
    <section aria-labelledby="invites-title">
      <h2 id="invites-title">{t('invites.title')}</h2>
      <p>{t('invites.intro')}</p>
      <form onSubmit={make} class="row">
        <div class="field">
          <label for="invite-days">{t('invites.days')}</label>
          <input id="invite-days" type="number" min={1} max={30} value={days} onInput={(e) => setDays(Number(e.currentTarget.value) || 7)} />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {t('invites.make')}
        </button>
      </form>
      <ErrorNotice error={error} />
      <ul class="invites">
        {made.map((i) => (
          <li key={i.code}>
            <code class="invite-code">{i.code}</code> <span class="hint">{t('invites.until', { date: formatDate(i.expiresAt) })}</span>{' '}
            <CopyButton text={i.code} />
          </li>
        ))}
      </ul>
    </section>
  );
}
