import { useErrorBoundary } from 'preact/hooks';
import { useStore } from './state/store.ts';
import { ErrorNotice } from './components/Notice.tsx';
import { t } from './i18n/index.ts';
import { Header } from './components/Header.tsx';
import { LazyScreen } from './components/LazyScreen.tsx';
// The first page: what is drawn before anyone logs in (and the recovery words that follow
// a registration, which must not wait on the network). Every other screen is loaded when
// first shown (web/src/lazy-screens.ts); these imports are of types only.
import { Login } from './screens/auth/Login.tsx';
import { Register } from './screens/auth/Register.tsx';
import { Recover } from './screens/auth/Recover.tsx';
import { RecoveryWords } from './screens/auth/RecoveryWords.tsx';
import type * as Records from './screens/records/index.ts';
import type * as AccountScreens from './screens/account/index.ts';
import type * as ContactScreens from './screens/contacts/index.ts';
import type * as Sharing from './screens/sharing/index.ts';
import type * as HistoryScreens from './screens/history/index.ts';
import type * as Verify from './screens/verify/index.ts';
import type * as TeamScreens from './screens/teams/index.ts';

function Screen() {
  const store = useStore();
  const route = store.route.value;
  // Screens behind the lock are never drawn without an unlocked account.
  if (!store.unlocked.value && !['login', 'register', 'recover', 'verify'].includes(route.name)) return <Login />;
  switch (route.name) {
    case 'login':
      return <Login />;
    case 'register':
      return <Register />;
    case 'recover':
      return <Recover />;
    case 'recovery-words':
      return <RecoveryWords words={route.words} />;
    case 'records':
      return <LazyScreen folder="records" render={(s: typeof Records) => <s.RecordList />} />;
    case 'record':
      return <LazyScreen folder="records" render={(s: typeof Records) => <s.RecordView id={route.id} />} />;
    case 'edit':
      return <LazyScreen folder="records" render={(s: typeof Records) => <s.RecordEditor key={route.id ?? 'new'} id={route.id} />} />;
    case 'versions':
      return <LazyScreen folder="records" render={(s: typeof Records) => <s.Versions id={route.id} />} />;
    case 'account':
      return <LazyScreen folder="account" render={(s: typeof AccountScreens) => <s.Account />} />;
    case 'contacts':
      return <LazyScreen folder="contacts" render={(s: typeof ContactScreens) => <s.Contacts key={route.handle ?? ''} initial={route.handle} />} />;
    case 'share':
      return <LazyScreen folder="sharing" render={(s: typeof Sharing) => <s.Share ids={route.ids} />} />;
    case 'inbox':
      return <LazyScreen folder="sharing" render={(s: typeof Sharing) => <s.Inbox />} />;
    case 'history':
      return <LazyScreen folder="history" render={(s: typeof HistoryScreens) => <s.History id={route.id} />} />;
    case 'activity':
      return <LazyScreen folder="history" render={(s: typeof HistoryScreens) => <s.Activity />} />;
    case 'verify':
      return <LazyScreen folder="verify" render={(s: typeof Verify) => <s.VerifyExport />} />;
    case 'teams':
      return <LazyScreen folder="teams" render={(s: typeof TeamScreens) => <s.Teams />} />;
    case 'team':
      return <LazyScreen folder="teams" render={(s: typeof TeamScreens) => <s.Team key={route.id} id={route.id} />} />;
    case 'team-case':
      return <LazyScreen folder="teams" render={(s: typeof TeamScreens) => <s.Case key={route.caseId} team={route.team} caseId={route.caseId} />} />;
    case 'team-record':
      return <LazyScreen folder="teams" render={(s: typeof TeamScreens) => <s.TeamRecord key={route.id} team={route.team} id={route.id} />} />;
  }
}

/** A screen that fails to draw says so (and can be left), instead of leaving a blank page. */
function Guarded() {
  const store = useStore();
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <main>
        <ErrorNotice error={error} />
        <button
          type="button"
          onClick={() => {
            reset();
            store.go({ name: store.unlocked.value ? 'records' : 'login' });
          }}
        >
          {t('actions.back')}
        </button>
      </main>
    );
  }
  return <Screen />;
}

export function App() {
  return (
    <>
      <Header />
      <div id="main" class="page">
        <Guarded />
      </div>
      <footer class="foot">
        <p class="hint">{t('app.footer')}</p>
      </footer>
    </>
  );
}
