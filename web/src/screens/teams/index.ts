// One chunk, loaded by web/src/lazy-screens.ts when the teams area is first shown.
export { Teams } from './Teams.tsx';
export { Team } from './Team.tsx';
export { Case } from './Case.tsx';
export { TeamRecord } from './TeamRecord.tsx';
