// Contacts, grants and the inbox as the page sees them (dates as ISO strings, no keys).
import type { ContactInfo, GrantInfo, SharedRecordInfo, Vault, VaultRecord } from '@testimony-vault/client';
import { reveals, verifiedBlob } from './media.ts';
import type { ContactView, GrantView, InboxItem } from './types.ts';

export const contactView = (c: ContactInfo): ContactView => ({ handle: c.handle, fingerprint: c.fingerprint, verified: c.verified });

export function grantView(g: GrantInfo): GrantView {
  return {
    handle: g.handle,
    fingerprint: g.fingerprint,
    verified: g.verified,
    grantedBy: g.grantedBy,
    grantedAt: g.grantedAt.toISOString(),
    expiresAt: g.expiresAt?.toISOString() ?? null,
    revokedAt: g.revokedAt?.toISOString() ?? null,
    status: g.status,
    access: g.access,
  };
}

export function inboxItem(s: SharedRecordInfo, record: VaultRecord): InboxItem {
  const title = record.fields.title;
  return { recordId: s.recordId, title, owner: { ...s.owner }, grantedAt: s.grantedAt.toISOString(), expiresAt: s.expiresAt?.toISOString() ?? null, redacted: record.access === 'redacted' };
}

/**
 * How many photo originals of these records say where they were taken (read here, from the
 * verified bytes): the share screen ticks "redacted copies" by default when there is one.
 */
export async function photosWithLocation(vault: Vault, recordIds: string[]): Promise<number> {
  let found = 0;
  for (const id of recordIds) {
    const record = await vault.getRecord(id);
    for (const a of record.attachments) {
      if (!a.type.startsWith('image/') || a.redactionOf) continue;
      if ((await reveals(await verifiedBlob(vault, id, a.fileId, a.type))).gps) found += 1;
    }
  }
  return found;
}
