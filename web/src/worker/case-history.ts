// A case's audit history as the page shows it (docs/PROTOCOL.md "A case's audit history"):
// verified whole by the library before anything is returned; a failure (AuditLogError) goes
// to the page as the tampering warning, never as a shorter list.
import type { Vault } from '@testimony-vault/client';
import { eventView } from './bundle.ts';
import type { HistoryEventView } from './types.ts';

export interface CaseHistoryEventView extends HistoryEventView {
  /** About a record of the case, a statement of the case, or the team (its members, a refused team route). */
  about: 'record' | 'case' | 'team';
  /** The testimony's title, for an event about a record this account could read. */
  title: string | null;
}

export async function caseHistory(vault: Vault, team: string, caseId: string): Promise<{ events: CaseHistoryEventView[]; checkpointSize: number }> {
  const records = await vault.teams.listRecords(team, { caseId });
  const titles = new Map(records.map((r) => [r.id, r.fields.title]));
  const events: CaseHistoryEventView[] = [];
  let checkpointSize = 0;
  for await (const page of vault.teams.caseHistoryPages(team, caseId, { pageSize: 1000 })) {
    for (const e of page.events) events.push({ ...eventView(e), about: e.about, title: e.recordId ? (titles.get(e.recordId) ?? null) : null });
    checkpointSize = page.checkpointSize;
  }
  return { events, checkpointSize };
}
