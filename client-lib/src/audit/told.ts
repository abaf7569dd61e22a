// The events an answer says it appended (docs/PROTOCOL.md "Events told to the client").
import { AUDIT_EVENTS_HEADER, parseAuditEventsHeader, type ToldAuditEvent } from '@testimony-vault/protocol';
import { fail, guard } from './fail.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/**
 * Successful answers that must name an event about the record in their path (group 1), or,
 * where the path names none, some record's event. A server that leaves the header out of
 * them would keep the access out of what this client remembers, so its absence is itself a
 * failure. Listings (records, versions pages) and an upload's status are not here: how many
 * events they log depends on what they answer.
 */
const MUST_TELL: { method: string; path: RegExp }[] = [
  { method: 'GET', path: new RegExp(`^/v1/records/(${UUID})(?:\\?|/versions(?:\\?|$)|/keys$|$)`) },
  { method: 'POST', path: new RegExp(`^/v1/records/(${UUID})/(?:versions|grants)$`) },
  { method: 'DELETE', path: new RegExp(`^/v1/records/(${UUID})(?:/grants/[^/?]+)?$`) },
  { method: 'POST', path: /^\/v1\/records$/ },
  { method: 'POST', path: new RegExp(`^/v1/files/${UUID}/complete$`) },
  { method: 'GET', path: new RegExp(`^/v1/files/${UUID}(?:\\?|$)`) },
];

/** What an answer told, after the checks that need nothing stored; throws AuditLogError. */
export function toldBy(method: string, path: string, res: Response, floor: number): ToldAuditEvent[] {
  const header = res.headers.get(AUDIT_EVENTS_HEADER);
  const told = header === null ? [] : guard(`the ${AUDIT_EVENTS_HEADER} header of ${method} ${path}`, () => parseAuditEventsHeader(header));
  for (const rule of MUST_TELL) {
    const m = rule.method === method ? rule.path.exec(path) : null;
    if (!m) continue;
    const recordId = m[1];
    if (!told.some((e) => e.recordId !== null && (recordId === undefined || e.recordId === recordId))) {
      fail(`the server answered ${method} ${path} without naming the audit event that logged it: it could leave that access out of the history`);
    }
  }
  for (const e of told) {
    // Appended after this request left, so at or past every size verified before it left.
    if (e.index < floor) fail(`the server says ${method} ${path} was logged at index ${e.index}, inside the log of ${floor} events verified before it was sent`);
  }
  return told;
}
