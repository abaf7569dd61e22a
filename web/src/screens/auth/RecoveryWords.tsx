import { useMemo, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';

/** Three distinct positions (0-based) out of `n`, chosen at random. */
function pickThree(n: number): number[] {
  const out = new Set<number>();
  const buf = new Uint32Array(1);
  while (out.size < 3) {
    crypto.getRandomValues(buf);
    out.add(buf[0]! % n);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The 24 recovery words, shown once, then three of them typed back before the account is
 * used: the only way back in if the passphrase is lost, so they must really be written down.
 */
export function RecoveryWords({ words }: { words: string[] }) {
  const store = useStore();
  const [step, setStep] = useState<'show' | 'confirm'>('show');
  const [written, setWritten] = useState(false);
  const asked = useMemo(() => pickThree(words.length), [words]);
  const [typed, setTyped] = useState<string[]>(['', '', '']);
  const [wrong, setWrong] = useState(false);

  if (step === 'show') {
    return (
      <main class="narrow">
        <h1 tabIndex={-1}>{t('words.title')}</h1>
        <p>{t('words.intro')}</p>
        <ol class="words" aria-label={t('words.list')}>
          {words.map((w, i) => (
            <li key={i}>
              <span class="n">{i + 1}</span> <span class="w">{w}</span>
            </li>
          ))}
        </ol>
        <p class="notice warn">{t('words.warning')}</p>
        <label class="check">
          <input type="checkbox" checked={written} onChange={(e) => setWritten(e.currentTarget.checked)} /> {t('words.written')}
        </label>
        <button type="button" class="primary" disabled={!written} onClick={() => setStep('confirm')}>
          {t('actions.continue')}
        </button>
      </main>
    );
  }

  const submit = (e: Event) => {
    e.preventDefault();
    const ok = asked.every((pos, i) => typed[i]!.trim().toLowerCase() === words[pos]);
    setWrong(!ok);
    if (ok) store.go({ name: 'records' });
  };
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{t('words.confirmTitle')}</h1>
      <p>{t('words.confirmIntro')}</p>
      <form onSubmit={submit}>
        {asked.map((pos, i) => (
          <Field
            key={pos}
            label={t('words.wordNumber', { n: pos + 1 })}
            value={typed[i]!}
            onValue={(v) => setTyped(typed.map((old, j) => (j === i ? v : old)))}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            required
          />
        ))}
        {wrong && (
          <p class="notice error" role="alert">
            {t('words.wrong')}
          </p>
        )}
        <button type="submit" class="primary">
          {t('words.confirm')}
        </button>
        <button type="button" onClick={() => setStep('show')}>
          {t('words.showAgain')}
        </button>
      </form>
    </main>
  );
}
