import type { Http } from '../api/http.ts';
import type { WireIdentity } from '../api/wire.ts';
import type { Unlocked } from '../account/session.ts';
import { identityFromWire } from '../account/session.ts';
import { fingerprint, verifyIdentity, type PublicIdentity } from '../crypto/identity.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { ApiError, FingerprintMismatchError, IntegrityError, KeyChangedError, RollbackError, VaultError } from '../errors.ts';
import { equalBytes } from '@testimony-vault/protocol';
import type { StateStore } from '../state/store.ts';
import { openContactList, sealContactList, type Contact, type WireContactList } from './list.ts';

export interface ContactInfo {
  handle: string;
  /** The safety number of the keys (60 digits in 12 groups), to read out and compare. */
  fingerprint: string;
  keys: { signPublicKey: Uint8Array; boxPublicKey: Uint8Array };
  /** True once someone compared the safety number out of band and called verifyContact. */
  verified: boolean;
}

const digitsOnly = (text: string) => text.replace(/[^0-9]/g, '');

/**
 * The one check behind every `requireVerified`: sharing with someone, adding them to a team,
 * and writing into a team (or trusting a case) that someone added this account to. Refuses
 * a person whose safety number this account never compared, unless the caller says the risk
 * was accepted (`requireVerified: false`).
 */
export function refuseUnverified(contact: { handle: string; verified: boolean }, requireVerified: boolean | undefined): void {
  if (requireVerified && !contact.verified) {
    throw new VaultError(`${contact.handle}'s safety number has not been verified: compare it with them and call verifyContact first`);
  }
}

/**
 * Pins and verifications (docs/PROTOCOL.md "Contacts"). Keys are trusted on first use and
 * pinned; a later difference is a KeyChangedError until the user compares the new safety
 * number and calls verify().
 */
export class ContactsClient {
  private cache: { version: number; contacts: Contact[] } | undefined;

  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly state: StateStore,
  ) {}

  private seenKey(): string {
    return `contacts:${this.s.to_hex(this.s.crypto_hash_sha256(this.me().identity.signPublicKey))}`;
  }

  private async load(): Promise<{ version: number; contacts: Contact[] }> {
    const me = this.me();
    let wire: WireContactList | undefined;
    try {
      wire = await this.http.json<WireContactList>('GET', '/v1/account/contacts');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    const seen = Number((await this.state.get(this.seenKey())) ?? 0);
    const version = wire?.version ?? 0;
    if (version < seen) throw new RollbackError(`contact list: server presents version ${version} but version ${seen} was seen`);
    const contacts = wire ? openContactList(this.s, me.masterKey, me.identity.signPublicKey, me.handle, wire) : [];
    if (version > seen) await this.state.set(this.seenKey(), String(version));
    this.cache = { version, contacts };
    return this.cache;
  }

  /** Applies `change` to the latest list and saves it as the next version; retried if another device saved first. */
  private async save(change: (contacts: Contact[]) => Contact[]): Promise<void> {
    const me = this.me();
    for (let attempt = 0; ; attempt++) {
      const current = await this.load();
      const next = change(current.contacts.map((c) => ({ ...c })));
      const wire = sealContactList(this.s, me.masterKey, me.privateKeys.signSecretKey, me.handle, current.version + 1, next);
      try {
        await this.http.json('PUT', '/v1/account/contacts', wire);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'VAULT_ERR_VERSION_CONFLICT' && attempt < 5) continue;
        throw err;
      }
      await this.state.set(this.seenKey(), String(wire.version));
      this.cache = { version: wire.version, contacts: next };
      return;
    }
  }

  private async pinned(handle: string): Promise<Contact | undefined> {
    const list = this.cache ?? (await this.load());
    return list.contacts.find((c) => c.handle === handle);
  }

  /** The server's current keys for a handle, self-signature checked. */
  async fetchIdentity(handle: string): Promise<PublicIdentity> {
    const w = await this.http.json<WireIdentity>('GET', `/v1/users/${encodeURIComponent(handle)}`);
    const identity = identityFromWire(w);
    if (identity.handle !== handle) throw new IntegrityError(`asked for ${handle}, the server answered ${identity.handle}`);
    verifyIdentity(this.s, identity);
    return identity;
  }

  /**
   * Checks an identity against the pin for its handle, without pinning anything: the
   * pinned contact, or undefined if there is none. Throws KeyChangedError, with both
   * safety numbers, if the keys differ.
   */
  async checkPinned(identity: PublicIdentity): Promise<Contact | undefined> {
    const me = this.me();
    if (identity.handle === me.handle) {
      if (!sameKeys(identity, me.identity)) throw new KeyChangedError(me.handle, fingerprint(this.s, me.identity), fingerprint(this.s, identity));
      return { ...identity, verified: true, pinnedAt: '', verifiedAt: null };
    }
    let known = await this.pinned(identity.handle);
    // Another device may have re-pinned a verified new key since this list was read.
    if (known && !sameKeys(known, identity)) known = (await this.load()).contacts.find((c) => c.handle === identity.handle);
    if (known && !sameKeys(known, identity)) throw new KeyChangedError(identity.handle, fingerprint(this.s, known), fingerprint(this.s, identity));
    return known;
  }

  /** checkPinned, then pins the identity if the handle had no pin (trust on first use). */
  async trust(identity: PublicIdentity): Promise<Contact> {
    const known = await this.checkPinned(identity);
    if (known) return known;
    const contact: Contact = {
      handle: identity.handle,
      signPublicKey: identity.signPublicKey,
      boxPublicKey: identity.boxPublicKey,
      verified: false,
      pinnedAt: new Date().toISOString(),
      verifiedAt: null,
    };
    await this.save((list) => {
      const other = list.find((c) => c.handle === identity.handle);
      if (other && !sameKeys(other, identity)) throw new KeyChangedError(identity.handle, fingerprint(this.s, other), fingerprint(this.s, identity));
      return other ? list : [...list, contact];
    });
    return (await this.pinned(identity.handle)) ?? contact;
  }

  /** Looks a person up: keys checked against the pin (pinned now if new), with the safety number. */
  async lookup(handle: string): Promise<ContactInfo> {
    const contact = await this.trust(await this.fetchIdentity(handle));
    return info(this.s, contact);
  }

  /**
   * Marks a contact verified after the two people compared safety numbers out of band.
   * `safetyNumber` is what the user read from the other person's screen (spaces and
   * dashes are ignored). If it matches the keys the server presents now, those keys are
   * pinned as verified, replacing an older pin: this is how a changed key is accepted.
   */
  async verify(handle: string, safetyNumber: string): Promise<ContactInfo> {
    const identity = await this.fetchIdentity(handle);
    const presented = fingerprint(this.s, identity);
    if (digitsOnly(safetyNumber) !== digitsOnly(presented)) throw new FingerprintMismatchError(handle);
    const now = new Date().toISOString();
    const contact: Contact = { handle, signPublicKey: identity.signPublicKey, boxPublicKey: identity.boxPublicKey, verified: true, pinnedAt: now, verifiedAt: now };
    await this.save((list) => [...list.filter((c) => c.handle !== handle), contact]);
    return info(this.s, contact);
  }

  /** Every pinned contact, as this account's list holds it. */
  async list(): Promise<ContactInfo[]> {
    return (await this.load()).contacts.map((c) => info(this.s, c));
  }
}

function sameKeys(a: Pick<PublicIdentity, 'signPublicKey' | 'boxPublicKey'>, b: Pick<PublicIdentity, 'signPublicKey' | 'boxPublicKey'>): boolean {
  return equalBytes(a.signPublicKey, b.signPublicKey) && equalBytes(a.boxPublicKey, b.boxPublicKey);
}

function info(s: Sodium, c: Contact): ContactInfo {
  return {
    handle: c.handle,
    fingerprint: fingerprint(s, c),
    keys: { signPublicKey: c.signPublicKey, boxPublicKey: c.boxPublicKey },
    verified: c.verified,
  };
}
