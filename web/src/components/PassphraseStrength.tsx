import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.ts';
import { useStore } from '../state/store.ts';
import type { StrengthView } from '../worker/types.ts';

/**
 * The client library's strength check (run in the worker, where its dictionaries load),
 * shown as the person types. `onResult` tells the form whether the floor is met.
 */
export function PassphraseStrength({ passphrase, handle, onResult }: { passphrase: string; handle: string; onResult: (ok: boolean) => void }) {
  const { client } = useStore();
  const [view, setView] = useState<StrengthView | null>(null);
  useEffect(() => {
    let current = true;
    if (!passphrase) {
      setView(null);
      onResult(false);
      return;
    }
    const timer = setTimeout(() => {
      void client.api.strength(passphrase, handle).then((v) => {
        if (!current) return;
        setView(v);
        onResult(v.ok);
      });
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [passphrase, handle]);
  if (!view) return <p class="hint">{t('strength.hint')}</p>;
  return (
    <div class={view.ok ? 'strength ok' : 'strength weak'} aria-live="polite">
      <meter min={0} max={4} low={3} high={4} optimum={4} value={view.score} aria-label={t('strength.meter')} />
      <p>{view.ok ? t('strength.ok') : t('strength.weak')}</p>
      {!view.ok && (
        <ul>
          {view.reasons.map((r) => (
            <li key={r}>{t(`strength.reason.${r}`, { defaultValue: t('strength.reason.too-guessable') })}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
