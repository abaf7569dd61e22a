import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { loadScreens } from '../../lazy-screens.ts';

export function Login() {
  const store = useStore();
  const [handle, setHandle] = useState(store.lastHandle.value);
  const [passphrase, setPassphrase] = useState('');
  const { busy, error, run } = useAction();
  const reason = store.lockedBecause.value;

  const submit = (e: Event) => {
    e.preventDefault();
    // The list comes next: its code is fetched while the passphrase is being stretched.
    loadScreens('records').catch(() => undefined);
    void run(async () => {
      const account = await store.client.api.login(handle, passphrase);
      setPassphrase('');
      store.unlock(account);
    });
  };

  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{t('login.title')}</h1>
      {reason && <Info>{t(`lock.reason.${reason}`)}</Info>}
      {reason && store.draftsDiscarded.value > 0 && <Info>{t('lock.draftsDiscarded', { count: store.draftsDiscarded.value })}</Info>}
      <form onSubmit={submit}>
        <Field label={t('fields.handle')} value={handle} onValue={setHandle} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
        <Field label={t('fields.passphrase')} type="password" value={passphrase} onValue={setPassphrase} autoComplete="current-password" required />
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('login.working') : t('login.submit')}
        </button>
        {busy && <p class="hint">{t('login.slow')}</p>}
      </form>
      <nav class="links" aria-label={t('login.other')}>
        <button type="button" class="link" onClick={() => store.go({ name: 'register' })}>
          {t('login.toRegister')}
        </button>
        <button type="button" class="link" onClick={() => store.go({ name: 'recover' })}>
          {t('login.toRecover')}
        </button>
        <button type="button" class="link" onClick={() => store.go({ name: 'verify' })}>
          {t('login.toVerify')}
        </button>
      </nav>
    </main>
  );
}
