// One chunk, loaded by web/src/lazy-screens.ts when the account screen is first shown.
export { Account } from './Account.tsx';
