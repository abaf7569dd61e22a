import type { Vault, VaultRecord } from '@testimony-vault/client/node';
import type { Context } from './context.ts';
import { UsageError } from './errors.ts';
import { askTerminal } from './prompt.ts';

// A record is named on the command line by its id, a unique prefix of it (6 characters
// or more: what `tvault list` shows), or its title. A title several records share is
// offered as a numbered list on a terminal; a script gets the list and must choose an id.

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = /^[0-9a-f][0-9a-f-]{5,}$/i;
export const SHORT_ID = 8;

/** This account's records, every page, newest change first. */
export async function ownRecords(vault: Vault): Promise<VaultRecord[]> {
  const records: VaultRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await vault.listRecords(cursor ? { cursor } : {});
    records.push(...page.records);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return records;
}

/** Every record this account can read: its own, then those shared with it. */
export async function readableRecords(vault: Vault): Promise<VaultRecord[]> {
  const records = await ownRecords(vault);
  const own = new Set(records.map((r) => r.id));
  for (const s of await vault.sharedWithMe()) {
    if (!own.has(s.recordId)) records.push(await vault.getRecord(s.recordId));
  }
  return records;
}

/** The full id of the record `ref` names. */
export async function resolveRecord(c: Context, vault: Vault, ref: string): Promise<string> {
  if (FULL_ID.test(ref)) return ref.toLowerCase();
  const records = await readableRecords(vault);
  const byId = PREFIX.test(ref) ? records.filter((r) => r.id.startsWith(ref.toLowerCase())) : [];
  const wanted = ref.trim().toLocaleLowerCase();
  const exact = records.filter((r) => r.fields.title.trim().toLocaleLowerCase() === wanted);
  const matches = byId.length ? byId : exact.length ? exact : records.filter((r) => r.fields.title.toLocaleLowerCase().includes(wanted));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new UsageError(c.t(/^[0-9a-f-]{1,5}$/i.test(ref) ? 'ref.tooShort' : 'ref.none', { ref }));
  const list = matches.map((r, i) => `  ${i + 1}. ${r.id.slice(0, SHORT_ID)}  ${r.fields.title}  (${r.owner})`).join('\n');
  if (process.stdin.isTTY) {
    c.warn(`${c.t('ref.several', { ref })}\n${list}`);
    const n = Number((await askTerminal(c.t('ref.pick', { max: matches.length }), false))?.trim());
    const picked = matches[n - 1];
    if (Number.isInteger(n) && picked) return picked.id;
  }
  throw new UsageError(`${c.t('ref.several', { ref })}\n${list}\n${c.t('ref.useId')}`);
}
