import { LANGUAGES, language, setLanguage, t, type Language } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';

const IDLE_CHOICES = [1, 5, 10, 15, 30, 60];

/** Chosen for this page only: nothing is stored in the browser, so a reload starts from the defaults. */
export function Preferences() {
  const { idleMinutes } = useStore();
  return (
    <section aria-labelledby="prefs-title">
      <h2 id="prefs-title">{t('prefs.title')}</h2>
      <div class="row">
        <div class="field">
          <label for="idle">{t('prefs.idle')}</label>
          <select id="idle" value={String(idleMinutes.value)} onChange={(e) => (idleMinutes.value = Number(e.currentTarget.value))}>
            {IDLE_CHOICES.map((m) => (
              <option key={m} value={String(m)}>
                {t('prefs.minutes', { count: m })}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="lang">{t('prefs.language')}</label>
          <select id="lang" value={language.value} onChange={(e) => void setLanguage(e.currentTarget.value as Language)}>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`languages.${l}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="hint">{t('prefs.notStored')}</p>
    </section>
  );
}
