// One chunk, loaded by web/src/lazy-screens.ts when sharing or the inbox is first shown.
export { Share } from './Share.tsx';
export { Inbox } from './Inbox.tsx';
