// One chunk, loaded by web/src/lazy-screens.ts: the drop page that checks an export, with or
// without an account.
export { VerifyExport } from './VerifyExport.tsx';
