import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { PassphraseStrength } from '../../components/PassphraseStrength.tsx';

export function ChangePassphrase() {
  const store = useStore();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [strong, setStrong] = useState(false);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const mismatch = repeat.length > 0 && repeat !== next;

  const submit = (e: Event) => {
    e.preventDefault();
    if (!strong || mismatch) return;
    setDone(false);
    void run(async () => {
      await store.client.api.changePassphrase(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    });
  };

  return (
    <section aria-labelledby="passphrase-title">
      <h2 id="passphrase-title">{t('passphrase.title')}</h2>
      <form onSubmit={submit}>
        <Field label={t('fields.currentPassphrase')} type="password" value={current} onValue={setCurrent} autoComplete="current-password" required />
        <Field label={t('fields.newPassphrase')} type="password" value={next} onValue={setNext} autoComplete="new-password" required />
        <PassphraseStrength passphrase={next} handle={store.account.value?.handle ?? ''} onResult={setStrong} />
        <Field label={t('fields.repeatPassphrase')} type="password" value={repeat} onValue={setRepeat} autoComplete="new-password" required />
        {mismatch && (
          <p class="notice error" role="alert">
            {t('register.mismatch')}
          </p>
        )}
        <ErrorNotice error={error} />
        {done && <Info>{t('passphrase.done')}</Info>}
        <button type="submit" class="primary" disabled={busy || !strong || mismatch || !repeat}>
          {busy ? t('passphrase.working') : t('passphrase.submit')}
        </button>
      </form>
    </section>
  );
}
