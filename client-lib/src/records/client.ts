import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import { toBase64Url as b64, recordDeleteStatement, recordVersionStatement } from '@testimony-vault/protocol';
import type { Sodium } from '../crypto/sodium.ts';
import { ApiError, IntegrityError, RollbackError, VaultError, WithheldError } from '../errors.ts';
import { identityFromWire } from '../account/session.ts';
import type { ContactsClient } from '../contacts/client.ts';
import type { StateStore } from '../state/store.ts';
import { encryptBody, validateFields } from './body.ts';
import { OpenedKeys, newRecordKeys, sealFor, zeroKeys } from './record-key.ts';
import type { Attachment, RecordBodyV2, RecordChanges, RecordFields, RecordPage, RedactionLink, VaultRecord } from './types.ts';
import { encodeAttachments, sealRedactedGrantees, type RedactedGrantee } from './withholding.ts';
import { VerifiedIdentities, verifyAndOpen, type Opened, type WireRecordVersion } from './verify.ts';

/** Someone a rotated record key is sealed to (besides the owner). */
export interface Recipient {
  recipientId: string;
  handle: string;
  boxPublicKey: Uint8Array;
}

export interface UpdateOptions {
  rotate?: boolean;
  /** Rotate unless the current key version is seeded ([Note: redacted access]). */
  requireSeed?: boolean;
  /** Changes the owner's list of redacted grantees (kept sealed in the body). */
  redactedGrantees?: (current: RedactedGrantee[]) => RedactedGrantee[];
}

export function uuidV4(s: Sodium): string {
  const b = s.randombytes_buf(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = s.to_hex(b);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const path = (id: string) => `/v1/records/${encodeURIComponent(id)}`;

/** The most records the server hands out in one page of `GET /v1/records`. */
export const LIST_PAGE_MAX = 200;

interface FetchedPage {
  /** The request's number ([Note: rollback]: a page is judged by what was known when it was asked for). */
  sentAt: number;
  page: { records: WireRecordVersion[]; nextCursor: string | null };
}

/** Records: the client side of docs/PROTOCOL.md "Records". */
export class RecordsClient {
  /**
   * Who gets a new record key at the next write: undefined when the current key can stay
   * (set by the sharing client; see [Note: key rotation] in sharing/client.ts).
   */
  planRotation: (recordId: string, keyVersion: number, force: boolean) => Promise<Recipient[] | undefined> = async (_id, _kv, force) =>
    force ? [] : undefined;

  /**
   * File id → the original a redacted copy being uploaded was made from: addAttachment
   * writes the link into the copy's manifest entry, in the same signed version.
   */
  readonly redactionLinks = new Map<string, RedactionLink>();

  /**
   * Refuses a verified record served under an owner it may not have ([Note: a shared record
   * is its grant's], set by the Vault): checked before the version is remembered, so a
   * refused record leaves no trace in the rollback memory.
   */
  checkOwner: (record: VaultRecord) => void = () => {};
  /**
   * How many redacted grantees the last version this client wrote of each record named: lets
   * an attach skip reading the record again to learn whether its photos need copies.
   */
  private readonly redactedWritten = new Map<string, number>();

  /** The redacted grantees in the last version this client wrote of `id`, if it wrote one. */
  redactedGranteesWritten(id: string): number | undefined {
    return this.redactedWritten.get(id);
  }

  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly state: StateStore,
    private readonly contacts: ContactsClient,
  ) {}

  // [Note: rollback]
  // The client remembers the highest version it has verified of each record (in its
  // StateStore: memory by default, a file with the Node entry point). A server that later
  // presents an older version as the latest, or claims a lower latest version, is caught.
  // A client that never saw the newer version cannot tell; the audit log closes that gap.
  // The state is keyed by the account's own signing key (which this client verified at
  // login), never by the account id the server names: a server that reported another id
  // would otherwise point the client at an empty memory and switch the check off.
  private seenKey(id: string) {
    const signPublicKey = this.me().identity.signPublicKey;
    if (this.account?.of !== signPublicKey) this.account = { of: signPublicKey, hex: this.s.to_hex(this.s.crypto_hash_sha256(signPublicKey)) };
    return `seen:${this.account.hex}:${id}`;
  }

  /** The state's name for this account, made once per signing key (a listing asks for it twice a record). */
  private account: { of: Uint8Array; hex: string } | undefined;
  private readonly identities = new VerifiedIdentities();
  private readonly openedKeys = new OpenedKeys();

  /** Zeroes the record keys kept from sealed keys opened so far ([Note: opened keys kept for the session]). */
  forgetKeys(): void {
    this.openedKeys.forget(this.s);
  }

  private async seen(id: string): Promise<number> {
    return Number((await this.state.get(this.seenKey(id))) ?? 0);
  }

  // A response is judged against what this client knew when it sent the request, not when
  // the answer arrives: a read sent before this client's own write (or another read) raised
  // the version can honestly answer with the older one. `sent` counts requests; each raise
  // of a record's version remembers the count at that moment and the version it replaced,
  // so the version known when request `sentAt` left can be rebuilt. A few raises per record
  // are kept; past them the current version is used, which can only be stricter.
  private sent = 0;
  private readonly raises = new Map<string, { at: number; from: number }[]>();

  private sending(): number {
    return ++this.sent;
  }

  private async seenWhenSent(id: string, sentAt: number): Promise<number> {
    let version = await this.seen(id);
    for (const r of [...(this.raises.get(id) ?? [])].reverse()) {
      if (r.at < sentAt) break;
      version = r.from;
    }
    return version;
  }

  private async raise(id: string, version: number): Promise<void> {
    const current = await this.seen(id);
    if (version <= current) return;
    await this.state.set(this.seenKey(id), String(version));
    const list = this.raises.get(id) ?? [];
    list.push({ at: this.sent, from: current });
    this.raises.set(id, list.slice(-16));
  }

  private async accept(w: WireRecordVersion, asLatest: boolean, sentAt: number): Promise<Opened> {
    // A shared record: the owner's keys must match this account's pin, if it has one...
    const shared = w.owner !== this.me().handle;
    if (shared) await this.contacts.checkPinned(identityFromWire(w.author));
    const opened = verifyAndOpen(this.s, this.me(), w, this.identities, this.openedKeys);
    if (shared) {
      // ...and, once everything verified against the keys it names, they are pinned if new.
      try {
        const contact = await this.contacts.trust(identityFromWire(w.author));
        opened.record.author.verified = contact.verified;
      } catch (err) {
        this.s.memzero(opened.recordKey);
        throw err;
      }
    }
    try {
      this.checkOwner(opened.record);
    } catch (err) {
      this.s.memzero(opened.recordKey);
      throw err;
    }
    const seen = await this.seenWhenSent(w.id, sentAt);
    if (w.latestVersion < seen || w.latestVersion < w.version || (asLatest && w.version < seen)) {
      this.s.memzero(opened.recordKey);
      throw new RollbackError(`record ${w.id}: server presents version ${w.version} (latest ${w.latestVersion}) but version ${seen} was seen`);
    }
    await this.raise(w.id, w.version);
    return opened;
  }

  private sign(id: string, version: number, keyVersion: number, body: Uint8Array): Uint8Array {
    const statement = recordVersionStatement(id, version, keyVersion, this.s.crypto_hash_sha256(body));
    return this.s.crypto_sign_detached(statement, this.me().privateKeys.signSecretKey);
  }

  async create(fields: RecordFields): Promise<{ id: string; version: number }> {
    const s = this.s;
    const me = this.me();
    const id = uuidV4(s);
    const keys = newRecordKeys(s);
    const now = new Date().toISOString();
    const plain: RecordBodyV2 = { v: 2, keys: 'seed', fields: validateFields(fields), attachments: [], createdAt: now, writtenAt: now };
    const body = encryptBody(s, keys.recordKey, id, 1, 1, plain);
    await this.http.json('POST', '/v1/records', {
      id,
      version: 1,
      keyVersion: 1,
      body: b64(body),
      signature: b64(this.sign(id, 1, 1, body)),
      sealedKeys: [{ recipientId: me.accountId, sealedKey: b64(sealFor(s, keys, 'full', id, 1, me.identity.boxPublicKey)) }],
    });
    zeroKeys(s, keys);
    await this.raise(id, 1);
    return { id, version: 1 };
  }

  async get(id: string, options: { version?: number } = {}): Promise<VaultRecord> {
    const query = options.version === undefined ? '' : `?version=${options.version}`;
    const sentAt = this.sending();
    const w = await this.http.json<WireRecordVersion>('GET', `${path(id)}${query}`);
    if (w.id !== id || (options.version !== undefined && w.version !== options.version)) {
      throw new RollbackError(`record ${id}: server answered with another record or version`);
    }
    return (await this.accept(w, options.version === undefined, sentAt)).record;
  }

  /**
   * Writes the next version: the latest fields with `changes` applied (undefined removes a
   * field). When a grant was revoked or ran out since the key was last changed (or when
   * `rotate` is set), the version is written under a new record key sealed to the owner
   * and the live grantees only.
   */
  async update(
    id: string, changes: RecordChanges, attachments?: (current: Attachment[]) => Attachment[], options: UpdateOptions = {},
  ): Promise<{ id: string; version: number; keyVersion: number }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeNext(id, changes, attachments, options);
      } catch (err) {
        // A grant made or ended between reading the grants and writing: read them again.
        if (!(err instanceof ApiError && err.code === 'VAULT_ERR_GRANTS_CHANGED') || attempt >= 5) throw err;
      }
    }
  }

  private async writeNext(
    id: string, changes: RecordChanges, attachments: ((current: Attachment[]) => Attachment[]) | undefined, options: UpdateOptions,
  ): Promise<{ id: string; version: number; keyVersion: number }> {
    const s = this.s;
    const me = this.me();
    const sentAt = this.sending();
    const w = await this.http.json<WireRecordVersion>('GET', path(id));
    if (w.id !== id) throw new RollbackError(`record ${id}: server answered with another record`);
    const { record, keys: current, redactedGrantees } = await this.accept(w, true, sentAt);
    if (record.owner !== me.handle) {
      zeroKeys(s, current);
      throw new VaultError(`only the owner (${record.owner}) can change record ${id}`);
    }
    if (current.kind === 'key-only') {
      // verifyAndOpen already refuses this for an owner; never write a body without the seed.
      zeroKeys(s, current);
      throw new IntegrityError(`record ${id}: the owner's sealed key holds the record key only`);
    }
    const fields = validateFields(Object.fromEntries(Object.entries({ ...record.fields, ...changes }).filter(([, v]) => v !== undefined)) as RecordFields);
    const version = record.version + 1;
    const force = (options.rotate ?? false) || (options.requireSeed === true && current.kind !== 'seed');
    const recipients = await this.planRotation(id, record.keyVersion, force);
    const keyVersion = recipients ? record.keyVersion + 1 : record.keyVersion;
    // A rotation always makes a seeded key version ([Note: redacted access]).
    const keys = recipients ? newRecordKeys(s) : current;
    const redacted = (options.redactedGrantees ?? ((g) => g))(redactedGrantees);
    const plain: RecordBodyV2 = {
      v: 2,
      keys: keys.kind === 'seed' ? 'seed' : 'v1',
      fields,
      attachments: encodeAttachments(s, attachments ? attachments(record.attachments) : record.attachments, keys, id, keyVersion),
      createdAt: record.createdAt.toISOString(),
      writtenAt: new Date().toISOString(),
    };
    const sealedGrantees = sealRedactedGrantees(s, keys, redacted, id, version, keyVersion);
    if (sealedGrantees !== undefined) plain.redactedGrantees = sealedGrantees;
    const body = encryptBody(s, keys.recordKey, id, version, keyVersion, plain);
    const isRedacted = (handle: string) => redacted.some((g) => g.handle === handle);
    const sealedKeys = recipients
      ? [{ recipientId: me.accountId, handle: me.handle, boxPublicKey: me.identity.boxPublicKey }, ...recipients].map((r) => ({
          recipientId: r.recipientId,
          sealedKey: b64(sealFor(s, keys, r.handle !== me.handle && isRedacted(r.handle) ? 'redacted' : 'full', id, keyVersion, r.boxPublicKey)),
        }))
      : undefined;
    try {
      await this.http.json('POST', `${path(id)}/versions`, {
        version,
        keyVersion,
        body: b64(body),
        signature: b64(this.sign(id, version, keyVersion, body)),
        ...(sealedKeys ? { sealedKeys } : {}),
      });
    } finally {
      if (keys !== current) zeroKeys(s, keys);
      zeroKeys(s, current);
    }
    this.redactedWritten.set(id, redacted.length);
    await this.raise(id, version);
    return { id, version, keyVersion };
  }

  /** Adds (or replaces) a file in the manifest: a new version, retried if another writer came first. */
  async addAttachment(id: string, entry: Attachment): Promise<{ id: string; version: number; keyVersion: number }> {
    const link = this.redactionLinks.get(entry.fileId);
    if (link) entry = { ...entry, redactionOf: link };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.update(id, {}, (current) => [...current.filter((a) => a.fileId !== entry.fileId), entry]);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'VAULT_ERR_VERSION_CONFLICT') || attempt >= 5) throw err;
      }
    }
  }

  /** The latest version and the owner's list of redacted grantees in it (empty for any other reader). */
  async latest(id: string): Promise<{ record: VaultRecord; redactedGrantees: RedactedGrantee[] }> {
    const sentAt = this.sending();
    const w = await this.http.json<WireRecordVersion>('GET', path(id));
    if (w.id !== id) throw new RollbackError(`record ${id}: server answered with another record`);
    const opened = await this.accept(w, true, sentAt);
    zeroKeys(this.s, opened.keys);
    return { record: opened.record, redactedGrantees: opened.redactedGrantees };
  }

  /**
   * Every version, oldest first. A redacted reader gets those from the start of its access:
   * the earlier ones are sealed shut to it ([Note: redacted access]) and are left out, but
   * only at the start (a shut version after an open one is not what an owner writes).
   */
  async versions(id: string): Promise<VaultRecord[]> {
    const out: VaultRecord[] = [];
    let count = 0;
    let after = 0;
    const sentAt = this.sending();
    for (;;) {
      const page = await this.http.json<{ versions: WireRecordVersion[]; next: number | null }>('GET', `${path(id)}/versions?after=${after}`);
      for (const w of page.versions) {
        if (w.id !== id || w.version !== count + 1) throw new RollbackError(`record ${id}: versions are missing or out of order`);
        count += 1;
        try {
          out.push((await this.accept(w, false, sentAt)).record);
        } catch (err) {
          if (!(err instanceof WithheldError) || out.length > 0) throw err;
        }
      }
      if (page.next === null) break;
      // Every page must hold versions and the next one must start right after its last
      // (versions are contiguous from 1, so that is the count): a server that answers
      // empty pages, or points back, would otherwise keep this loop going for ever.
      if (page.versions.length === 0 || page.next !== count) {
        throw new RollbackError(`record ${id}: the server's version pages do not advance`);
      }
      after = page.next;
    }
    const last = out[out.length - 1];
    if (!last || last.version !== count || last.version < last.latestVersion || last.version < (await this.seenWhenSent(id, sentAt))) {
      throw new RollbackError(`record ${id}: the version list ends before the latest version`);
    }
    return out;
  }

  async list(options: { cursor?: string; limit?: number } = {}): Promise<RecordPage> {
    return this.verifyPage(await this.fetchPage(options.cursor, options.limit));
  }

  /**
   * Every record, newest change first, a verified page at a time. The next page is asked
   * for as soon as a page arrives, before it is verified: the server prepares one while
   * this client checks the other (every check of `list` is made on every record). A page
   * that fails verification throws; the page asked for ahead is then dropped unread.
   */
  async *pages(options: { limit?: number } = {}): AsyncGenerator<RecordPage> {
    const limit = options.limit ?? LIST_PAGE_MAX;
    let next: Promise<FetchedPage> | undefined = this.fetchPage(undefined, limit);
    while (next) {
      const fetched: FetchedPage = await next;
      const cursor = fetched.page.nextCursor;
      next = cursor === null ? undefined : this.fetchPage(cursor, limit);
      // Settled here too, so that a page abandoned by a throw or a stopped loop is no unhandled rejection.
      next?.catch(() => undefined);
      yield await this.verifyPage(fetched);
    }
  }

  private async fetchPage(cursor: string | undefined, limit: number | undefined): Promise<FetchedPage> {
    const q = new URLSearchParams();
    if (cursor) q.set('cursor', cursor);
    if (limit) q.set('limit', String(limit));
    const sentAt = this.sending();
    const page = await this.http.json<{ records: WireRecordVersion[]; nextCursor: string | null }>('GET', `/v1/records?${q}`);
    return { sentAt, page };
  }

  private async verifyPage({ sentAt, page }: FetchedPage): Promise<RecordPage> {
    const records: VaultRecord[] = [];
    for (const w of page.records) records.push((await this.accept(w, true, sentAt)).record);
    return { records, nextCursor: page.nextCursor };
  }

  /**
   * Deletes a record with a signed request naming the latest version this client verified
   * (docs/PROTOCOL.md "Deletion"): the server refuses if the record changed since.
   */
  async delete(id: string): Promise<void> {
    const sentAt = this.sending();
    const w = await this.http.json<WireRecordVersion>('GET', path(id));
    if (w.id !== id) throw new RollbackError(`record ${id}: server answered with another record`);
    const { record, recordKey } = await this.accept(w, true, sentAt);
    this.s.memzero(recordKey);
    const version = record.latestVersion;
    const signature = this.s.crypto_sign_detached(recordDeleteStatement(id, version), this.me().privateKeys.signSecretKey);
    await this.http.json('DELETE', path(id), { version, signature: b64(signature) });
  }
}
