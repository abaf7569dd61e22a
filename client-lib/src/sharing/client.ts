import type { Http } from '../api/http.ts';
import type { WireIdentity } from '../api/wire.ts';
import type { Unlocked } from '../account/session.ts';
import { identityFromWire } from '../account/session.ts';
import { refuseUnverified, type ContactsClient } from '../contacts/client.ts';
import { fromBase64Url, toBase64Url as b64, equalBytes, type GrantTerms } from '@testimony-vault/protocol';
import { fingerprint, verifyIdentity } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { ApiError, IntegrityError, KeyChangedError, SignatureError, VaultError } from '../errors.ts';
import type { RecordsClient, Recipient } from '../records/client.ts';
import { openRecordKeys, sealFor, zeroKeys } from '../records/record-key.ts';
import type { RedactionSummary } from '../redaction/copies.ts';
import { signGrant, verifyWireGrant } from './grant.ts';

export type GrantStatus = 'live' | 'revoked' | 'expired';

/** One grant on a record, verified as signed by this account (the owner). */
export interface GrantInfo {
  handle: string;
  fingerprint: string;
  /** Whether this account verified the grantee's safety number (verifyContact) before now. */
  verified: boolean;
  grantedBy: string;
  grantedAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  status: GrantStatus;
  /** The record's key version when the grant was made. */
  keyVersion: number;
  /** 'redacted': photo originals are kept from this grantee, who gets their redacted copies. */
  access: 'full' | 'redacted';
}

export interface ShareOptions {
  expiresAt?: Date;
  requireVerified?: boolean;
  /**
   * Share photos as redacted copies: the grantee gets the record key only, never the
   * originals' file keys (docs/PROTOCOL.md "Redacted copies").
   */
  redactPhotos?: boolean;
}

/** A record another account shared with this one, its grant verified. */
export interface SharedRecordInfo {
  recordId: string;
  owner: { handle: string; fingerprint: string; verified: boolean };
  grantedAt: Date;
  expiresAt: Date | null;
}

/**
 * What others shared with this account; `failures` names each shared record whose grant
 * failed its checks (`claimedOwner` is the server's word, unverified).
 */
export type SharedRecordList = SharedRecordInfo[] & {
  failures: { recordId: string; claimedOwner: string | null; error: IntegrityError | KeyChangedError }[];
};

interface WireGrant {
  id: string;
  granteeId: string;
  /** The grantee's keys as the grant names them: the owner's signature covers them. */
  grantee: { handle: string; signPublicKey: string; boxPublicKey: string };
  grantedBy: string;
  keyVersion: number;
  grantedAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: GrantStatus;
  heldKeyVersion: number | null;
  signature: string;
}

interface WireShared {
  recordId: string;
  owner: WireIdentity;
  keyVersion: number;
  grantedAt: string;
  expiresAt: string | null;
  signature: string;
}

type GranteeKeys = GrantTerms['grantee'];

function keysFromWire(w: WireGrant['grantee']): GranteeKeys {
  return { handle: w.handle, signPublicKey: bytes(w.signPublicKey, 'grantee key'), boxPublicKey: bytes(w.boxPublicKey, 'grantee key') };
}

const sameKeys = (a: GranteeKeys, b: GranteeKeys) => equalBytes(a.signPublicKey, b.signPublicKey) && equalBytes(a.boxPublicKey, b.boxPublicKey);
const recordPath = (id: string) => `/v1/records/${encodeURIComponent(id)}`;
const dateOrNull = (text: string | null) => (text === null ? null : new Date(text));

function bytes(text: string, what: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new IntegrityError(`${what} is not base64url`);
  }
}

// [Note: key rotation]
// Revoking stops the server from serving the record to the grantee at once. The owner's
// client then writes the record again under a new key version whose key is sealed to the
// owner and the live grantees only, so no later version opens with what the revoked
// grantee held. The same happens at the owner's next write when a grant expired (or a
// revocation's rotation never ran): a grantee with no live grant who still holds the
// current key version is a reason to rotate. What the grantee already read or
// downloaded, and the keys of the files it saw, rotation cannot take back: those files
// stay under their own keys, and only the server's refusal protects them.

/** Sharing (docs/PROTOCOL.md "Grants"): share, list, revoke, and what others shared with this account. */
export class SharingClient {
  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly records: RecordsClient,
    private readonly contacts: ContactsClient,
  ) {
    records.planRotation = (id, keyVersion, force) => this.planRotation(id, keyVersion, force);
  }

  /** `makeCopies` makes the redacted copies (it needs the file client); called for a redacted grant only. */
  async share(
    recordId: string, handle: string, options: ShareOptions = {}, makeCopies?: (recordId: string) => Promise<RedactionSummary>,
  ): Promise<GrantInfo & { redaction?: RedactionSummary }> {
    const s = this.s;
    const me = this.me();
    if (handle === me.handle) throw new VaultError('a record is always readable by its owner');
    const { record: first, redactedGrantees } = await this.records.latest(recordId);
    if (first.owner !== me.handle) throw new VaultError(`only the owner (${first.owner}) can share record ${recordId}`);
    // Checked against the pin first: a changed key throws KeyChangedError and nothing is sent.
    const presented = await this.contacts.fetchIdentity(handle);
    // A second pin that survives a lost contact list: the keys this account signed into
    // earlier grants of this record for the same person.
    const earlier = await this.verifiedGrants(recordId);
    for (const g of earlier) {
      if (g.identity.handle === handle && !sameKeys(g.identity, presented)) {
        throw new KeyChangedError(handle, fingerprint(s, g.identity), fingerprint(s, presented));
      }
    }
    // A redacted share writes versions and copies before the grant: not for nothing when the
    // server would refuse the grant (a live one exists), nor for someone who holds the seeds already.
    const live = earlier.some((g) => g.identity.handle === handle && g.revokedAt === null && (g.expiresAt === null || Date.parse(g.expiresAt) > Date.now()));
    if (options.redactPhotos && live) throw new VaultError(`${handle} already has access to record ${recordId}: revoke it first to share again with redacted photos`);
    const grantee = await this.contacts.trust(presented);
    refuseUnverified(grantee, options.requireVerified);
    if (options.expiresAt !== undefined && !(options.expiresAt.getTime() > Date.now())) throw new VaultError('expiresAt must be in the future');
    const access = options.redactPhotos ? 'redacted' : 'full';
    const listed = redactedGrantees.some((g) => g.handle === handle);
    const redaction = await this.prepareAccess(recordId, handle, access, listed, makeCopies);
    const record = access === 'full' && !listed ? first : await this.records.get(recordId);
    const sealedKeys = await this.resealKeys(recordId, record.keyVersion, grantee.boxPublicKey, access);
    const terms: GrantTerms = {
      recordId,
      keyVersion: record.keyVersion,
      owner: me.handle,
      grantee: { handle, signPublicKey: grantee.signPublicKey, boxPublicKey: grantee.boxPublicKey },
      grantedAt: Date.now(),
      expiresAt: options.expiresAt?.getTime() ?? null,
    };
    if (terms.expiresAt !== null && !(terms.expiresAt > terms.grantedAt)) throw new VaultError('expiresAt must be in the future');
    await this.http.json('POST', `${recordPath(recordId)}/grants`, {
      grantee: handle,
      keyVersion: terms.keyVersion,
      grantedAt: new Date(terms.grantedAt).toISOString(),
      expiresAt: terms.expiresAt === null ? null : new Date(terms.expiresAt).toISOString(),
      signature: b64(signGrant(s, terms, me.privateKeys.signSecretKey)),
      sealedKeys,
    });
    return {
      handle,
      fingerprint: fingerprint(s, grantee),
      verified: grantee.verified,
      grantedBy: me.handle,
      grantedAt: new Date(terms.grantedAt),
      expiresAt: options.expiresAt ?? null,
      revokedAt: null,
      status: 'live',
      keyVersion: terms.keyVersion,
      access,
      ...(redaction ? { redaction } : {}),
    };
  }

  /**
   * Before a redacted grant: a seeded key version (one rotation if the record has none
   * yet), the grantee on the owner's sealed list (so later rotations seal it the record
   * key only), and the redacted copies. Before a full grant: the grantee off that list.
   */
  private async prepareAccess(
    recordId: string, handle: string, access: 'full' | 'redacted', listed: boolean, makeCopies?: (recordId: string) => Promise<RedactionSummary>,
  ): Promise<RedactionSummary | undefined> {
    if (access === 'full') {
      if (listed) await this.records.update(recordId, {}, undefined, { redactedGrantees: (l) => l.filter((g) => g.handle !== handle) });
      return undefined;
    }
    await this.records.update(recordId, {}, undefined, {
      requireSeed: true,
      redactedGrantees: (l) => [...l.filter((g) => g.handle !== handle), { handle }],
    });
    return makeCopies ? await makeCopies(recordId) : undefined;
  }

  /** The record key of every key version 1..current, opened with this account's key and sealed to the grantee. */
  private async resealKeys(recordId: string, keyVersion: number, granteeBoxPk: Uint8Array, access: 'full' | 'redacted') {
    const s = this.s;
    const me = this.me();
    const { keys } = await this.http.json<{ keys: { keyVersion: number; sealedKey: string }[] }>('GET', `${recordPath(recordId)}/keys`);
    if (keys.length !== keyVersion || keys.some((k, i) => k.keyVersion !== i + 1)) {
      throw new IntegrityError(`record ${recordId}: the server did not return one key for each key version 1..${keyVersion}`);
    }
    return keys.map((k) => {
      const keys = openRecordKeys(s, bytes(k.sealedKey, 'sealed key'), recordId, k.keyVersion, me.identity.boxPublicKey, me.privateKeys.boxSecretKey);
      const sealedKey = b64(sealFor(s, keys, access, recordId, k.keyVersion, granteeBoxPk));
      zeroKeys(s, keys);
      return { keyVersion: k.keyVersion, sealedKey };
    });
  }

  /** Every grant on one of this account's records, each checked as signed by this account. */
  private async verifiedGrants(recordId: string): Promise<(WireGrant & { identity: GranteeKeys })[]> {
    const me = this.me();
    const { grants } = await this.http.json<{ grants: WireGrant[] }>('GET', `${recordPath(recordId)}/grants`);
    return grants.map((g) => {
      const identity = keysFromWire(g.grantee);
      verifyWireGrant(this.s, { ...g, recordId, owner: me.handle, grantee: identity }, me.identity.signPublicKey);
      return { ...g, identity };
    });
  }

  async grants(recordId: string): Promise<GrantInfo[]> {
    const verified = new Set((await this.contacts.list()).filter((c) => c.verified).map((c) => `${c.handle} ${c.fingerprint}`));
    const redacted = new Set((await this.records.latest(recordId)).redactedGrantees.map((g) => g.handle));
    return (await this.verifiedGrants(recordId)).map((g) => ({
      handle: g.identity.handle,
      fingerprint: fingerprint(this.s, g.identity),
      verified: verified.has(`${g.identity.handle} ${fingerprint(this.s, g.identity)}`),
      grantedBy: g.grantedBy,
      grantedAt: new Date(g.grantedAt),
      expiresAt: dateOrNull(g.expiresAt),
      revokedAt: dateOrNull(g.revokedAt),
      status: g.status,
      keyVersion: g.keyVersion,
      access: redacted.has(g.identity.handle) ? ('redacted' as const) : ('full' as const),
    }));
  }

  /**
   * Ends a grantee's access now, then writes the record under a new key the grantee never
   * holds. Safe to call again if the rotation failed: a grant already ended still rotates.
   */
  async revoke(recordId: string, handle: string): Promise<{ version: number; keyVersion: number }> {
    try {
      await this.http.json('DELETE', `${recordPath(recordId)}/grants/${encodeURIComponent(handle)}`);
    } catch (err) {
      const ended = err instanceof ApiError && err.status === 404 && (await this.verifiedGrants(recordId)).some((g) => g.identity.handle === handle);
      if (!ended) throw err;
    }
    this.revoking.set(recordId, handle);
    try {
      const written = await this.records.update(recordId, {}, undefined, { rotate: true });
      return { version: written.version, keyVersion: written.keyVersion };
    } finally {
      this.revoking.delete(recordId);
    }
  }

  /** Record id → the handle being revoked: never a recipient of the rotated key, whatever the server says. */
  private readonly revoking = new Map<string, string>();

  private async planRotation(recordId: string, keyVersion: number, force: boolean): Promise<Recipient[] | undefined> {
    const grants = await this.verifiedGrants(recordId);
    // Liveness judged here, from the signed expiry and the revocation the server reports;
    // the server's `status` is not trusted to decide who receives a key.
    const now = Date.now();
    const excluded = this.revoking.get(recordId);
    const isLive = (g: WireGrant) =>
      g.revokedAt === null && (g.expiresAt === null || Date.parse(g.expiresAt) > now) && g.grantee.handle !== excluded;
    const live = grants.filter(isLive);
    const liveIds = new Set(live.map((g) => g.granteeId));
    const stale = grants.some((g) => !liveIds.has(g.granteeId) && (g.heldKeyVersion ?? 0) >= keyVersion);
    if (!force && !stale) return undefined;
    // The box key comes from the grant this account signed, not from the server's word.
    return live.map((g) => ({ recipientId: g.granteeId, handle: g.identity.handle, boxPublicKey: g.identity.boxPublicKey }));
  }

  /**
   * Records shared with this account by live grants, each grant checked against the owner's
   * pinned keys. A grant that fails its checks (a signature, an owner's changed key) is left
   * out and named in `failures` with its error, so one tampered grant hides no other.
   */
  async sharedWithMe(): Promise<SharedRecordList> {
    const me = this.me();
    const { records } = await this.http.json<{ records: WireShared[] }>('GET', '/v1/shared');
    const out = [] as SharedRecordInfo[] as SharedRecordList;
    out.failures = [];
    for (const r of records) {
      try {
        out.push(await this.checkShared(r, me.handle));
      } catch (err) {
        if (!(err instanceof IntegrityError || err instanceof KeyChangedError)) throw err;
        out.failures.push({ recordId: r.recordId, claimedOwner: typeof r.owner?.handle === 'string' ? r.owner.handle : null, error: err });
      }
    }
    return out;
  }

  private async checkShared(r: WireShared, myHandle: string): Promise<SharedRecordInfo> {
    const owner = identityFromWire(r.owner);
    verifyIdentity(this.s, owner);
    if (owner.handle === myHandle) throw new SignatureError(`record ${r.recordId}: a grant from ${myHandle} to itself`);
    await this.contacts.checkPinned(owner);
    verifyWireGrant(this.s, { ...r, owner: owner.handle, grantee: this.me().identity }, owner.signPublicKey);
    const contact = await this.contacts.trust(owner);
    return {
      recordId: r.recordId,
      owner: { handle: owner.handle, fingerprint: fingerprint(this.s, owner), verified: contact.verified },
      grantedAt: new Date(r.grantedAt),
      expiresAt: dateOrNull(r.expiresAt),
    };
  }
}
