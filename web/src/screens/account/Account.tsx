import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ChangePassphrase } from './ChangePassphrase.tsx';
import { Sessions } from './Sessions.tsx';
import { Invites } from './Invites.tsx';
import { Preferences } from './Preferences.tsx';
import { SafetyNumber } from '../../components/SafetyNumber.tsx';

export function Account() {
  const store = useStore();
  const me = store.account.value!;
  return (
    <main>
      <h1 tabIndex={-1}>{t('account.title')}</h1>
      <section aria-labelledby="me-title">
        <h2 id="me-title">{t('account.me', { handle: me.handle })}</h2>
        <p>{t('account.safetyNumberIntro')}</p>
        {/* With its QR code: what the other person scans, in person, from this screen. */}
        <SafetyNumber handle={me.handle} number={me.fingerprint} />
      </section>
      <Preferences />
      <ChangePassphrase />
      <Sessions />
      {me.isAdmin && <Invites />}
      <section aria-labelledby="logout-title">
        <h2 id="logout-title">{t('account.logoutTitle')}</h2>
        <p>{t('account.logoutIntro')}</p>
        <button type="button" onClick={() => void store.lock('logout')}>
          {t('account.logout')}
        </button>
      </section>
    </main>
  );
}
