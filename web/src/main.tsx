// The page: screens only. Every key lives in the worker (vault-client.ts), and nothing is
// written to any browser storage: a reload or a closed tab means the passphrase again.
import { render } from 'preact';
import './styles.css';
import './i18n/index.ts';
import { App } from './App.tsx';
import { VaultClient } from './vault-client.ts';
import { createStore, StoreContext } from './state/store.ts';
import { watchIdle, watchPageLeave, watchQuickExit } from './state/guards.ts';

const store = createStore(new VaultClient());
watchIdle(store);
watchQuickExit(store);
watchPageLeave(store);

render(
  <StoreContext.Provider value={store}>
    <App />
  </StoreContext.Provider>,
  document.getElementById('app')!,
);
