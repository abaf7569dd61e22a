import { useStore } from './state/store.ts';
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

function Screen() {
  const store = useStore();
  const route = store.route.value;
  // Screens behind the lock are never drawn without an unlocked account.
  if (!store.unlocked.value && !['login', 'register', 'recover'].includes(route.name)) return <Login />;
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
  }
}

export function App() {
  return (
    <>
      <Header />
      <div id="main" class="page">
        <Screen />
      </div>
      <footer class="foot">
        <p class="hint">{t('app.footer')}</p>
      </footer>
    </>
  );
}
