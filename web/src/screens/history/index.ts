// One chunk, loaded by web/src/lazy-screens.ts when a history is first shown.
export { History } from './History.tsx';
export { Activity } from './Activity.tsx';
