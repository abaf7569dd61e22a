import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field, TextArea } from '../../components/Field.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { PassphraseStrength } from '../../components/PassphraseStrength.tsx';

export function Recover() {
  const store = useStore();
  const [handle, setHandle] = useState(store.lastHandle.value);
  const [words, setWords] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [strong, setStrong] = useState(false);
  const { busy, error, run } = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    if (!strong) return;
    void run(async () => {
      const account = await store.client.api.recover(handle, words.trim().toLowerCase(), passphrase);
      setWords('');
      setPassphrase('');
      store.unlock(account);
    });
  };

  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{t('recover.title')}</h1>
      <p>{t('recover.intro')}</p>
      <form onSubmit={submit}>
        <Field label={t('fields.handle')} value={handle} onValue={setHandle} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
        <TextArea label={t('fields.recoveryWords')} hint={t('recover.wordsHint')} value={words} onValue={setWords} rows={4} spellcheck={false} />
        <Field label={t('fields.newPassphrase')} type="password" value={passphrase} onValue={setPassphrase} autoComplete="new-password" required />
        <PassphraseStrength passphrase={passphrase} handle={handle} onResult={setStrong} />
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy || !strong}>
          {busy ? t('recover.working') : t('recover.submit')}
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
