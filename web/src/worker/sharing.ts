// Contacts, grants and the inbox as the page sees them (dates as ISO strings, no keys).
import type { ContactInfo, GrantInfo, SharedRecordInfo } from '@testimony-vault/client';
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
  };
}

export function inboxItem(s: SharedRecordInfo, title: string): InboxItem {
  return { recordId: s.recordId, title, owner: { ...s.owner }, grantedAt: s.grantedAt.toISOString(), expiresAt: s.expiresAt?.toISOString() ?? null };
}
