import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { PassphraseStrength } from '../../components/PassphraseStrength.tsx';

export function Register() {
  const store = useStore();
  const [handle, setHandle] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [invite, setInvite] = useState('');
  const [strong, setStrong] = useState(false);
  const { busy, error, run } = useAction();
  const mismatch = repeat.length > 0 && repeat !== passphrase;

  const submit = (e: Event) => {
    e.preventDefault();
    if (!strong || mismatch) return;
    void run(async () => {
      const { recoveryWords, ...account } = await store.client.api.register(handle, passphrase, invite.trim());
      setPassphrase('');
      setRepeat('');
      store.unlock(account, { name: 'recovery-words', words: recoveryWords });
    });
  };

  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{t('register.title')}</h1>
      <p>{t('register.intro')}</p>
      <form onSubmit={submit}>
        <Field label={t('fields.handle')} hint={t('register.handleHint')} value={handle} onValue={setHandle} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
        <Field label={t('fields.newPassphrase')} hint={t('register.passphraseHint')} type="password" value={passphrase} onValue={setPassphrase} autoComplete="new-password" required />
        <PassphraseStrength passphrase={passphrase} handle={handle} onResult={setStrong} />
        <Field label={t('fields.repeatPassphrase')} type="password" value={repeat} onValue={setRepeat} autoComplete="new-password" required />
        {mismatch && (
          <p class="notice error" role="alert">
            {t('register.mismatch')}
          </p>
        )}
        <Field label={t('fields.invite')} hint={t('register.inviteHint')} value={invite} onValue={setInvite} autoComplete="off" spellcheck={false} />
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy || !strong || mismatch || !repeat}>
          {busy ? t('register.working') : t('register.submit')}
        </button>
      </form>
      <nav class="links">
        <button type="button" class="link" onClick={() => store.go({ name: 'login' })}>
          {t('register.toLogin')}
        </button>
      </nav>
    </main>
  );
}
