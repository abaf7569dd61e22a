import { LANGUAGES, language, setLanguage, t } from '../i18n/index.ts';
import { useStore } from '../state/store.ts';
import { quickExit } from '../state/guards.ts';

function skipToMain(e: Event) {
  e.preventDefault();
  document.querySelector<HTMLElement>('#main h1')?.focus();
}

/** Always on screen: the quick exit; once unlocked, navigation and the lock button. */
export function Header() {
  const store = useStore();
  // Until the recovery words are typed back, the new account is not used: no way out of
  // that screen but the quick exit.
  const me = store.route.value.name === 'recovery-words' ? null : store.account.value;
  const other = LANGUAGES.find((l) => l !== language.value)!;
  return (
    <header class="top">
      {/* Moves the focus without following the link: a #main entry in the tab's history would
          let Back after a quick exit land on the vault's page. */}
      <a class="skip" href="#main" onClick={skipToMain}>
        {t('nav.skip')}
      </a>
      <span class="brand">{t('app.name')}</span>
      {me && (
        <nav aria-label={t('nav.label')}>
          <button type="button" class="nav" onClick={() => store.go({ name: 'records' })}>
            {t('nav.records')}
          </button>
          <button type="button" class="nav" onClick={() => store.go({ name: 'inbox' })}>
            {t('nav.inbox')}
          </button>
          <button type="button" class="nav" onClick={() => store.go({ name: 'contacts' })}>
            {t('nav.contacts')}
          </button>
          <button type="button" class="nav" onClick={() => store.go({ name: 'teams' })}>
            {t('nav.teams')}
          </button>
          {me.isAdmin && (
            <button type="button" class="nav" onClick={() => store.go({ name: 'activity' })}>
              {t('nav.activity')}
            </button>
          )}
          <button type="button" class="nav" onClick={() => store.go({ name: 'account' })}>
            {t('nav.account', { handle: me.handle })}
          </button>
        </nav>
      )}
      <div class="top-actions">
        <button type="button" class="nav" lang={other} onClick={() => void setLanguage(other)}>
          {t(`languages.switchTo.${other}`)}
        </button>
        {me && (
          <button type="button" class="lock" onClick={() => void store.lock('manual')}>
            {t('nav.lock')}
          </button>
        )}
        <button type="button" class="exit" onClick={() => quickExit(store)} title={t('nav.quickExitHint')} aria-keyshortcuts="Shift+Escape">
          {t('nav.quickExit')}
        </button>
      </div>
    </header>
  );
}
