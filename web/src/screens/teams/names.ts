import { t } from '../../i18n/index.ts';

// Teams and cases are named by encrypted records ([Note: team and case names] in the client
// library); one whose name cannot be read is shown by the first characters of its id.
export const shortId = (id: string) => id.slice(0, 8);

/** What a person reads for a team. */
export const teamTitle = (id: string, name: string | null | undefined) => name ?? t('teams.name', { id: shortId(id) });

/** What a person reads for a case: its name, or the general space's. */
export const caseTitle = (team: string, caseId: string, name: string | null | undefined) =>
  caseId === team ? t('teams.general') : (name ?? t('teams.caseName', { id: shortId(caseId) }));
