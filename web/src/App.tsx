import { useErrorBoundary } from 'preact/hooks';
import { useStore } from './state/store.ts';
import { ErrorNotice } from './components/Notice.tsx';
import { t } from './i18n/index.ts';
import { Header } from './components/Header.tsx';
import { Login } from './screens/auth/Login.tsx';
import { Register } from './screens/auth/Register.tsx';
import { Recover } from './screens/auth/Recover.tsx';
import { RecoveryWords } from './screens/auth/RecoveryWords.tsx';
import { RecordList } from './screens/records/RecordList.tsx';
import { RecordView } from './screens/records/RecordView.tsx';
import { RecordEditor } from './screens/records/RecordEditor.tsx';
import { Versions } from './screens/records/Versions.tsx';
import { Account } from './screens/account/Account.tsx';
import { Contacts } from './screens/contacts/Contacts.tsx';
import { Share } from './screens/sharing/Share.tsx';
import { Inbox } from './screens/sharing/Inbox.tsx';
import { History } from './screens/history/History.tsx';
import { Activity } from './screens/history/Activity.tsx';
import { VerifyExport } from './screens/verify/VerifyExport.tsx';

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
      return <RecordList />;
    case 'record':
      return <RecordView id={route.id} />;
    case 'edit':
      return <RecordEditor key={route.id ?? 'new'} id={route.id} />;
    case 'versions':
      return <Versions id={route.id} />;
    case 'account':
      return <Account />;
    case 'contacts':
      return <Contacts key={route.handle ?? ''} initial={route.handle} />;
    case 'share':
      return <Share ids={route.ids} />;
    case 'inbox':
      return <Inbox />;
    case 'history':
      return <History id={route.id} />;
    case 'activity':
      return <Activity />;
    case 'verify':
      return <VerifyExport />;
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
