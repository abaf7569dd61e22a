import { Http } from './api/http.ts';
import type { WireKdf, WireSession } from './api/wire.ts';
import { newAccountMaterial, kdfFromWire, kdfToWire, openMasterKey, openMasterKeyWithRecovery, passphraseMaterial } from './account/material.ts';
import { openSession, type Unlocked } from './account/session.ts';
import { openSessionLabel } from './account/session-label.ts';
import { canonicalInviteCode, fromBase64Url, toBase64Url as b64, HANDLE_PATTERN, KDF_ALGORITHM, KDF_FLOOR, KDF_CONTEXT } from '@testimony-vault/protocol';
import { fingerprint, logKeyPin } from './crypto/identity.ts';
import { deriveRecoveryKeys, derivePassphraseKeys, checkKdfParams, type KdfLimits } from './crypto/kdf.ts';
import { recoveryKeyToWords, wordsToRecoveryKey } from './crypto/recovery-words.ts';
import { sodiumReady, type Sodium } from './crypto/sodium.ts';
import { ApiError, DecryptionError, HandleFormatError, InviteFormatError, NetworkError, SignatureError, VaultError, WithheldError, WrongPassphraseError } from './errors.ts';
import { MemoryStateStore, type StateStore } from './state/store.ts';
import { RecordsClient, uuidV4 } from './records/client.ts';
import { ContactsClient, type ContactInfo } from './contacts/client.ts';
import { SharingClient, type GrantInfo, type SharedRecordList, type ShareOptions } from './sharing/client.ts';
import { makeRedactedCopies, type RedactionSummary } from './redaction/copies.ts';
import { isMediaOriginal, keptFromRedacted } from './records/withholding.ts';
import { Uploader, type AttachOptions, type AttachResult } from './files/upload.ts';
import { decryptFile, type DownloadOptions } from './files/download.ts';
import { platform } from './files/platform.ts';
import { fromWebStream, type FileSource } from './files/sources.ts';
import type { Attachment, RecordChanges, RecordFields, RecordPage, VaultRecord } from './records/types.ts';
import { AuditClient, type AuditCheckpoint, type AuditHistoryPage } from './audit/client.ts';
import { parseLogKey } from './audit/checkpoint.ts';
import type { AuditHistoryEvent } from './audit/events.ts';
import type { AuditExport } from './audit/export.ts';
import { provenAddress, type AuditAddress } from './audit/address.ts';
import { TeamsClient } from './teams/client.ts';

export interface ConnectOptions {
  /** Base URL of the vault server, e.g. http://127.0.0.1:8080 */
  server: string;
  handle: string;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Where the client remembers versions seen and pinned keys (default: in memory). */
  state?: StateStore;
  /**
   * A label for the session list, e.g. "laptop": at most 100 bytes of printable text, stored
   * encrypted under a key of the master key ([Note: session labels]).
   */
  device?: string;
  /**
   * Minimum Argon2id cost this client accepts. Defaults to KDF_FLOOR (256 MiB, 3 passes).
   * Lowering it is unsafe outside tests: a hostile server could then ask for a cheap
   * derivation and brute-force the passphrase from the login key it receives.
   */
  kdfFloor?: KdfLimits;
  /**
   * The audit log's verifier key (signed-note format, `origin+keyid+base64`), obtained
   * independently of the server, e.g. from its operator. Without it the key the server
   * names is pinned on first use in `state` and required from then on.
   */
  logKey?: string;
  /**
   * 2 refuses a pre-login answer of KDF version 1 (the server's salt used as it is) for this
   * handle: pass it once the account is known to use version 2 (`Vault.kdfVersion`), so a
   * hostile server cannot take it back to a salt it could make common. Default 1: accounts
   * made before version 2 still log in, and move to it at their next passphrase change.
   */
  minKdfVersion?: 1 | 2;
}

export interface RegisterOptions extends ConnectOptions {
  passphrase: string;
  inviteCode?: string;
  /** Argon2id cost for this account; defaults to the floor. */
  kdf?: KdfLimits;
}

export interface LoginOptions extends ConnectOptions {
  passphrase: string;
}

export interface RecoverOptions extends ConnectOptions {
  /** The 24 recovery words shown at registration. */
  recoveryKey: string;
  newPassphrase: string;
  /**
   * Argon2id cost for the new passphrase. Defaults to the floor: recovery starts from no
   * session, so the account's current cost is not known to this client (the server's
   * pre-login answer could name any cost). Pass the cost again if the account used more.
   */
  kdf?: KdfLimits;
}

export interface SessionInfo {
  id: string;
  /** The session's label, decrypted here; null when it has none or it is unreadable. */
  device: string | null;
  /**
   * True when the stored label does not open for this account and session: the server
   * altered it or moved it from another session. Show it as such, never as a name.
   */
  deviceUnreadable: boolean;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  current: boolean;
}

function normaliseHandle(handle: string): string {
  const h = handle.trim().toLowerCase();
  if (!new RegExp(HANDLE_PATTERN).test(h)) throw new HandleFormatError();
  return h;
}

/**
 * The log key a new account pins ([Note: the log key in the account]): the one given out of
 * band, else the server's now (trusted on first use, as a client's state store pins it). An
 * account is made without a pin only when the server names no usable key.
 */
async function registrationLogKeyPin(s: Sodium, http: Http, given: string | undefined): Promise<Uint8Array | undefined> {
  let key = given?.trim();
  if (key === undefined) {
    try {
      key = (await http.json<{ verifierKey?: unknown }>('GET', '/v1/audit/key')).verifierKey as string;
      parseLogKey(key, "the server's log key");
    } catch (err) {
      if (err instanceof NetworkError) throw err;
      return undefined;
    }
  } else {
    parseLogKey(key, 'ConnectOptions.logKey');
  }
  return logKeyPin(s, key);
}

async function prelogin(http: Http, handle: string) {
  const res = await http.json<{ kdf: WireKdf }>('POST', '/v1/auth/prelogin', { handle });
  return kdfFromWire(res.kdf);
}

/** An unlocked account on one server. Keys live in this object's memory only. */
export class Vault {
  private readonly records: RecordsClient;
  private readonly contacts: ContactsClient;
  private readonly sharing: SharingClient;
  private readonly uploader: Uploader;
  private readonly audit: AuditClient;
  /** Teams, cases and team records (docs/PROTOCOL.md "Teams"). */
  readonly teams: TeamsClient;
  /**
   * Owner handles of records this session verified (a record's owner never changes), so
   * that reading a record's history does not read the record again, which the server would
   * log as one more `record.read`.
   */
  private readonly owners = new Map<string, string>();
  /** [Note: a shared record is its grant's]: who shared each record with this account, by safety number. */
  private readonly sharedBy = new Map<string, { handle: string; fingerprint: string }>();

  private constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private me: Unlocked,
    private readonly options: ConnectOptions,
  ) {
    const state = options.state ?? new MemoryStateStore();
    this.contacts = new ContactsClient(s, http, () => this.me, state);
    this.records = new RecordsClient(s, http, () => this.me, state, this.contacts);
    this.sharing = new SharingClient(s, http, () => this.me, this.records, this.contacts);
    this.records.checkOwner = (record) => this.checkSharedBy(record);
    this.uploader = new Uploader(s, http, () => this.me, this.records, () => uuidV4(s));
    this.audit = new AuditClient(s, http, () => this.me, state, { logKey: options.logKey });
    this.teams = new TeamsClient(s, http, () => this.me, state, this.contacts);
    this.teams.audit = this.audit;
  }

  static async register(options: RegisterOptions): Promise<{ vault: Vault; recoveryKey: string }> {
    const s = await sodiumReady();
    const handle = normaliseHandle(options.handle);
    const floor = options.kdfFloor ?? KDF_FLOOR;
    const inviteCode = options.inviteCode?.trim() ? canonicalInviteCode(options.inviteCode) : undefined;
    // What is neither shape cannot be an invite: said as such, not as a form error, and before the passphrase is stretched.
    if (inviteCode !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(inviteCode)) throw new InviteFormatError();
    const http = new Http(options);
    const material = newAccountMaterial(s, handle, options.passphrase, options.kdf ?? floor, floor, await registrationLogKeyPin(s, http, options.logKey));
    await http.json('POST', '/v1/auth/register', { ...material.body, inviteCode });
    const vault = await Vault.unlock(s, http, handle, options.passphrase, options);
    const recoveryKey = recoveryKeyToWords(material.recoveryKey);
    s.memzero(material.recoveryKey);
    return { vault, recoveryKey };
  }

  static async login(options: LoginOptions): Promise<Vault> {
    const handle = normaliseHandle(options.handle);
    const http = new Http(options);
    // The pre-login request leaves before libsodium has loaded: the two overlap.
    const kdf = prelogin(http, handle);
    kdf.catch(() => undefined);
    const s = await sodiumReady();
    return Vault.unlock(s, http, handle, options.passphrase, options, kdf);
  }

  /** Sets a new passphrase using the recovery words; keys and records stay the same. */
  static async recover(options: RecoverOptions): Promise<Vault> {
    const s = await sodiumReady();
    const handle = normaliseHandle(options.handle);
    const floor = options.kdfFloor ?? KDF_FLOOR;
    const recoveryKey = wordsToRecoveryKey(options.recoveryKey);
    const { authKey } = deriveRecoveryKeys(s, recoveryKey);
    const http = new Http(options);
    let started: { recoveryWrappedMasterKey: string };
    try {
      started = await http.json('POST', '/v1/auth/recover/start', { handle, recoveryAuthKey: b64(authKey) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VAULT_ERR_BAD_CREDENTIALS') throw new WrongPassphraseError('handle or recovery key is wrong');
      throw err;
    }
    const masterKey = openMasterKeyWithRecovery(s, recoveryKey, handle, fromBase64Url(started.recoveryWrappedMasterKey));
    const next = passphraseMaterial(s, handle, options.newPassphrase, masterKey, options.kdf ?? floor, floor);
    await http.json('POST', '/v1/auth/recover/finish', {
      handle,
      recoveryAuthKey: b64(authKey),
      kdf: kdfToWire(next.kdf),
      loginKey: b64(next.loginKey),
      wrappedMasterKey: b64(next.wrappedMasterKey),
    });
    return Vault.unlock(s, http, handle, options.newPassphrase, options);
  }

  private static async unlock(
    s: Sodium, http: Http, handle: string, passphrase: string, options: ConnectOptions, sent = prelogin(http, handle),
  ): Promise<Vault> {
    const floor = options.kdfFloor ?? KDF_FLOOR;
    const kdf = await sent;
    checkKdfParams(kdf, floor, options.minKdfVersion);
    const keys = derivePassphraseKeys(s, passphrase, kdf, floor, handle);
    try {
      const me = await openSession(s, http, handle, keys.loginKey, keys.keyEncryptionKey, kdf, options.device);
      return new Vault(s, http, me, options);
    } finally {
      s.memzero(keys.keyEncryptionKey);
      s.memzero(keys.loginKey);
    }
  }

  get handle(): string {
    return this.me.handle;
  }

  /** The KDF version of this account's passphrase (2: the salt is bound to the handle). */
  get kdfVersion(): 1 | 2 {
    return this.me.kdf.algorithm === KDF_ALGORITHM ? 1 : 2;
  }

  get isAdmin(): boolean {
    return this.me.isAdmin;
  }

  get server(): string {
    return this.http.server;
  }

  /**
   * A key for protecting this account's local state (IntegrityStateStore), derived from
   * the master key; it never leaves the device and opens nothing on the server.
   */
  localStateKey(): Uint8Array {
    return this.s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.localStateKey, this.me.masterKey);
  }

  /** The safety number of this account's own public keys. */
  fingerprint(): string {
    return fingerprint(this.s, this.me.identity);
  }

  /**
   * Re-wraps the master key under a new passphrase and ends every other session. `cost`
   * defaults to the account's current Argon2id cost (never below the floor), so a change
   * of passphrase does not quietly make guessing it cheaper.
   */
  async changePassphrase(current: string, next: string, cost?: KdfLimits): Promise<void> {
    const floor = this.options.kdfFloor ?? KDF_FLOOR;
    const kdf = cost ?? {
      opsLimit: Math.max(this.me.kdf.opsLimit, floor.opsLimit),
      memLimit: Math.max(this.me.kdf.memLimit, floor.memLimit),
    };
    const old = derivePassphraseKeys(this.s, current, this.me.kdf, floor, this.me.handle);
    try {
      openMasterKey(this.s, old.keyEncryptionKey, this.me.handle, this.me.wrappedMasterKey);
    } catch (err) {
      if (err instanceof DecryptionError) throw new WrongPassphraseError('current passphrase is wrong');
      throw err;
    }
    const material = passphraseMaterial(this.s, this.me.handle, next, this.me.masterKey, kdf, floor);
    try {
      await this.http.json('POST', '/v1/account/passphrase', {
        currentLoginKey: b64(old.loginKey),
        kdf: kdfToWire(material.kdf),
        loginKey: b64(material.loginKey),
        wrappedMasterKey: b64(material.wrappedMasterKey),
      });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VAULT_ERR_BAD_CREDENTIALS') throw new WrongPassphraseError('current passphrase is wrong');
      throw err;
    }
    this.me = { ...this.me, kdf: material.kdf, wrappedMasterKey: material.wrappedMasterKey };
  }

  async sessions(): Promise<SessionInfo[]> {
    const res = await this.http.json<{ sessions: WireSession[] }>('GET', '/v1/sessions');
    return res.sessions.map((w) => {
      const device = this.sessionLabel(w);
      return {
        id: w.id,
        device: typeof device === 'string' ? device : null,
        deviceUnreadable: device instanceof DecryptionError,
        current: w.current,
        createdAt: new Date(w.createdAt),
        lastUsedAt: new Date(w.lastUsedAt),
        expiresAt: new Date(w.expiresAt),
      };
    });
  }

  /** A session's label, null when it has none, or the DecryptionError that says it is unreadable. */
  private sessionLabel(w: WireSession): string | null | DecryptionError {
    if (w.label === null || w.label === undefined) return null;
    try {
      return openSessionLabel(this.s, this.me.masterKey, this.me.identity.signPublicKey, w.id, w.label);
    } catch (err) {
      if (err instanceof DecryptionError) return err;
      throw err;
    }
  }

  /** Ends one of this account's sessions (another device, or this one). */
  async endSession(id: string): Promise<void> {
    await this.http.json('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
  }

  /** Ends this session and forgets the keys held in memory. */
  async logout(): Promise<void> {
    try {
      await this.http.json('POST', '/v1/auth/logout');
    } finally {
      this.http.token = undefined;
      this.records.forgetKeys();
      this.s.memzero(this.me.masterKey);
      this.s.memzero(this.me.privateKeys.signSecretKey);
      this.s.memzero(this.me.privateKeys.boxSecretKey);
    }
  }

  /** Encrypts, signs and stores a new testimony; returns its id and version (1). */
  async createRecord(fields: RecordFields): Promise<{ id: string; version: number }> {
    const created = await this.records.create(fields);
    this.owners.set(created.id, this.me.handle);
    return created;
  }

  /** The latest (or a given) version, decrypted after every check in PROTOCOL.md passed. */
  async getRecord(id: string, options: { version?: number } = {}): Promise<VaultRecord> {
    const record = await this.records.get(id, options);
    this.owners.set(id, record.owner);
    return record;
  }

  // [Note: a shared record is its grant's]
  // A record shared with this account is verified against its own author: signed by its
  // owner, with a grant from that owner. That alone lets a server answer for record X,
  // which alice shared, with a record X that an account of its own (alice.mx, say) signed
  // and granted: every signature holds, and the inbox showed alice's name beside the
  // operator's words (the attacker review). So the owner whose verified grant put a record
  // in this account's inbox (sharedWithMe), or else the first owner this session read it
  // under, is the only owner it may be read under afterwards, by handle and safety number.
  private checkSharedBy(record: VaultRecord): void {
    if (record.owner === this.me.handle) return;
    const expected = this.sharedBy.get(record.id);
    if (!expected) {
      this.sharedBy.set(record.id, { handle: record.owner, fingerprint: record.author.fingerprint });
      return;
    }
    if (expected.handle !== record.owner || expected.fingerprint !== record.author.fingerprint) {
      throw new SignatureError(`record ${record.id} was shared by ${expected.handle}, but the server serves it as ${record.owner}'s (another account or key)`);
    }
  }

  /** Writes a new version with `changes` applied; earlier versions stay as they were. */
  async updateRecord(id: string, changes: RecordChanges): Promise<{ id: string; version: number; keyVersion: number }> {
    const written = await this.records.update(id, changes);
    // Only a verified owner gets this far (the records client refuses anyone else).
    this.owners.set(id, this.me.handle);
    return written;
  }

  /** Every version of a record, oldest first, each verified. */
  async recordVersions(id: string): Promise<VaultRecord[]> {
    const versions = await this.records.versions(id);
    for (const v of versions) this.owners.set(v.id, v.owner);
    return versions;
  }

  /** The records this account can read, newest change first, a page at a time. */
  async listRecords(options: { cursor?: string; limit?: number } = {}): Promise<RecordPage> {
    const page = await this.records.list(options);
    for (const r of page.records) this.owners.set(r.id, r.owner);
    return page;
  }

  /**
   * Every record this account can read, newest change first, as verified pages (`pageSize`
   * records, default and most 200): the next page is asked for while one is verified.
   */
  async *allRecords(options: { pageSize?: number } = {}): AsyncGenerator<RecordPage> {
    for await (const page of this.records.pages(options.pageSize === undefined ? {} : { limit: options.pageSize })) {
      for (const r of page.records) this.owners.set(r.id, r.owner);
      yield page;
    }
  }

  /** Destroys the record's ciphertext and every sealed key for it. */
  deleteRecord(id: string): Promise<void> {
    return this.records.delete(id);
  }

  /**
   * Encrypts and uploads an evidence file into a record, streaming (memory stays flat),
   * and adds it to the record's manifest in a new version. `source`: a file path (Node
   * entry point), a web ReadableStream, a Blob, bytes, or a Node Readable.
   */
  /**
   * Encrypts and uploads a file into a record. When the record is shared redacted with
   * someone and the file is a photo, its redacted copy is made at once (`redaction` says
   * what was made), so a redacted reader never waits for the next share to see it.
   */
  async attachFile(recordId: string, source: FileSource, options: AttachOptions): Promise<AttachResult & { redaction?: RedactionSummary }> {
    const result = await this.uploader.attach(recordId, source, options);
    return { ...result, ...(await this.copiesForRedactedReaders(recordId, options)) };
  }

  /** Finishes an interrupted upload from any process or device of the owner, sending only what the server lacks. */
  async resumeUpload(
    recordId: string, fileId: string, source: FileSource, options: Omit<AttachOptions, 'fileId' | 'chunkSize'>,
  ): Promise<AttachResult & { redaction?: RedactionSummary }> {
    const result = await this.uploader.resume(recordId, fileId, source, options);
    return { ...result, ...(await this.copiesForRedactedReaders(recordId, options)) };
  }

  /** The copies a just-attached photo needs for the record's redacted readers, if it has any. */
  private async copiesForRedactedReaders(recordId: string, file: { name: string; type: string }): Promise<{ redaction?: RedactionSummary }> {
    // The upload has just written the record's manifest: that version says whether anyone
    // has redacted access, so most attaches need no second read of the record.
    if (!keptFromRedacted(file) || this.records.redactedGranteesWritten(recordId) === 0) return {};
    const { record, redactedGrantees } = await this.records.latest(recordId);
    if (record.owner !== this.me.handle || redactedGrantees.length === 0) return {};
    return { redaction: await this.makeRedactedCopies(recordId) };
  }

  /** The decrypted bytes of an attached file as a web stream, verified as they arrive; errors on any tampering. */
  async openFile(recordId: string, fileId: string, options: DownloadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const record = await this.records.get(recordId);
    const att = record.attachments.find((a) => a.fileId === fileId);
    if (!att && record.withheldOriginals.some((w) => w.fileId === fileId)) {
      throw new WithheldError(`file ${fileId} is an original kept from redacted access: open its redacted copy`);
    }
    if (!att) throw new ApiError(404, 'VAULT_ERR_NOT_FOUND', `record ${recordId} has no file ${fileId}`);
    const it = decryptFile(this.s, this.http, att, options);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await it.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await it.return(undefined);
      },
    });
  }

  /** Writes a file to `path` (Node entry point): only after every check passed, else nothing is left behind. */
  async downloadFile(recordId: string, fileId: string, path: string, options: DownloadOptions = {}): Promise<void> {
    if (!platform.writeFileAtomically) throw new VaultError('downloadFile needs the Node entry point: import "@testimony-vault/client/node"');
    const stream = await this.openFile(recordId, fileId, options);
    await platform.writeFileAtomically(path, fromWebStream(stream));
  }

  /**
   * A person's public keys and safety number. The keys are pinned on first use; if they
   * differ from the pin, this throws KeyChangedError with both safety numbers.
   */
  lookupUser(handle: string): Promise<ContactInfo> {
    return this.contacts.lookup(normaliseHandle(handle));
  }

  /**
   * Marks a contact verified after comparing safety numbers out of band (in person, by a
   * call). Throws FingerprintMismatchError if `safetyNumber` is not the one of the keys
   * the server presents; if it is, those keys are pinned (this is how a changed key is accepted).
   */
  verifyContact(handle: string, safetyNumber: string): Promise<ContactInfo> {
    return this.contacts.verify(normaliseHandle(handle), safetyNumber);
  }

  /** Everyone this account pinned, from its encrypted contact list. */
  listContacts(): Promise<ContactInfo[]> {
    return this.contacts.list();
  }

  /**
   * Lets `handle` read a record and every file in it (owner only): checks the reviewer's
   * keys against the pin (KeyChangedError shares nothing), seals the record keys to the
   * reviewer and signs the grant. `expiresAt`: when the server stops serving it.
   * `requireVerified`: refuse unless the reviewer's safety number was verified (a first
   * contact is otherwise trusted on first use; see docs/THREAT-MODEL.md).
   * `redactPhotos`: the reviewer gets redacted copies of the photos (JPEG, PNG; made now
   * where missing, listed in `redaction`) and never the originals' keys.
   */
  share(recordId: string, handle: string, options: ShareOptions = {}): Promise<GrantInfo & { redaction?: RedactionSummary }> {
    return this.sharing.share(recordId, normaliseHandle(handle), options, (id) => this.makeRedactedCopies(id));
  }

  /**
   * Makes the missing redacted copies of a record's photos (owner only): each a new file
   * linked to its original in the signed manifest; the originals are not touched.
   */
  makeRedactedCopies(recordId: string): Promise<RedactionSummary> {
    const deps = { s: this.s, http: this.http, records: this.records, newId: () => uuidV4(this.s) };
    return makeRedactedCopies({ ...deps, attach: (id, bytes, options) => this.uploader.attach(id, bytes, options) }, recordId);
  }

  /**
   * Lets every redacted reader of a record open one photo or video original as it is, with
   * its location and device data (owner only): evidence whose place or time matters. The
   * mark is written in a new signed version and the file's key is written open from then
   * on ([Note: originals shared on purpose]). There is no way back: the key, once readable,
   * stays readable (files are not re-encrypted at a rotation). Marking twice is a no-op.
   */
  async shareOriginal(recordId: string, fileId: string): Promise<{ version: number; unchanged: boolean }> {
    const { record } = await this.records.latest(recordId);
    if (record.owner !== this.me.handle) throw new VaultError(`only the owner (${record.owner}) can share an original of record ${recordId}`);
    const file = record.attachments.find((a) => a.fileId === fileId);
    if (!file) throw new ApiError(404, 'VAULT_ERR_NOT_FOUND', `record ${recordId} has no file ${fileId}`);
    if (!isMediaOriginal(file)) {
      throw new VaultError(`file ${fileId} is ${file.redactionOf ? 'a redacted copy' : 'not a photo or video original'}: only a photo's or video's original can be shared`);
    }
    if (file.shareOriginal) return { version: record.version, unchanged: true };
    for (let attempt = 0; ; attempt++) {
      try {
        const mark = (list: Attachment[]) => list.map((a) => (a.fileId === fileId ? { ...a, shareOriginal: true as const } : a));
        return { version: (await this.records.update(recordId, {}, mark)).version, unchanged: false };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'VAULT_ERR_VERSION_CONFLICT') || attempt >= 5) throw err;
      }
    }
  }

  /** Who has or had access to a record (owner only), each grant's signature checked. */
  grants(recordId: string): Promise<GrantInfo[]> {
    return this.sharing.grants(recordId);
  }

  /**
   * Ends a reviewer's access at once, then rotates the record key: a new version under a
   * key sealed to the owner and the remaining reviewers only. What the reviewer already
   * downloaded stays with them (docs/THREAT-MODEL.md).
   */
  revoke(recordId: string, handle: string): Promise<{ version: number; keyVersion: number }> {
    return this.sharing.revoke(recordId, normaliseHandle(handle));
  }

  /**
   * Records others shared with this account; read them with getRecord and openFile. A grant
   * that fails its checks is named in the list's `failures` instead of failing the whole list.
   */
  async sharedWithMe(): Promise<SharedRecordList> {
    const listed = await this.sharing.sharedWithMe();
    // A record listed under two owners, or under another than this session knows, is
    // refused whole: which grant is genuine is not for the server to decide (the review
    // after the fix: a second, forged grant for the same record overwrote the first).
    const owners = new Map<string, Set<string>>();
    for (const r of listed) owners.set(r.recordId, (owners.get(r.recordId) ?? new Set()).add(`${r.owner.handle} ${r.owner.fingerprint}`));
    const known = (id: string) => {
      const k = this.sharedBy.get(id);
      return k && `${k.handle} ${k.fingerprint}`;
    };
    const conflicting = (id: string) => owners.get(id)!.size > 1 || (known(id) !== undefined && !owners.get(id)!.has(known(id)!));
    const out = listed.filter((r) => !conflicting(r.recordId)) as SharedRecordList;
    out.failures = [...listed.failures];
    for (const id of new Set(listed.filter((r) => conflicting(r.recordId)).map((r) => r.recordId))) {
      out.failures.push({ recordId: id, claimedOwner: null, error: new SignatureError(`record ${id} is listed under another owner than its grant names`) });
      this.sharedBy.set(id, { handle: '', fingerprint: 'conflicting grants' }); // read under no owner for the rest of the session
    }
    for (const r of out) this.sharedBy.set(r.recordId, { handle: r.owner.handle, fingerprint: r.owner.fingerprint });
    return out;
  }

  /**
   * The audit log's current signed checkpoint, verified: signed by the pinned log key (or
   * ConnectOptions.logKey) and consistent with the newest checkpoint this client verified
   * before. Throws AuditLogError otherwise.
   */
  auditCheckpoint(): Promise<AuditCheckpoint> {
    return this.audit.checkpoint();
  }

  /**
   * Who did what to a record, oldest first, each event proven to be in a verified
   * checkpoint. The owner sees every event and its chain is checked (none left out between
   * the first and the last); a reviewer sees only their own. Read in pages of
   * `options.pageSize` events (default and most 1,000), all proven in one checkpoint
   * (recordHistoryPages shows them as they come). Throws AuditLogError.
   */
  async recordHistory(recordId: string, options: { pageSize?: number } = {}): Promise<AuditHistoryEvent[]> {
    return this.audit.recordHistory(recordId, await this.ownerOf(recordId), options.pageSize);
  }

  /**
   * The record's history a page at a time (oldest first, `pageSize` events, default 200):
   * each page proven in one verified checkpoint as it arrives, the chain checked across
   * pages for the owner, and on the last page (`complete`) every event this device knew of
   * met. A page that fails throws AuditLogError; a screen can show the first page at once.
   */
  async *recordHistoryPages(recordId: string, options: { pageSize?: number } = {}): AsyncGenerator<AuditHistoryPage> {
    yield* this.audit.historyPages(recordId, await this.ownerOf(recordId), options);
  }

  /**
   * The record's verified history as a self-contained JSON-serialisable document that
   * anyone can check offline with verifyExport or `npm run verify-export FILE`.
   */
  async exportHistory(recordId: string, options: { pageSize?: number } = {}): Promise<AuditExport> {
    return this.audit.exportHistory(recordId, await this.ownerOf(recordId), options.pageSize);
  }

  /**
   * The record's owner from a verified version (signed by its author), never from what the
   * server says about it: whether the history's chain is checked depends on it.
   */
  private async ownerOf(recordId: string): Promise<string> {
    return this.owners.get(recordId) ?? (await this.getRecord(recordId)).owner;
  }

  /**
   * Administrators: the whole audit log, a page at a time, oldest first (metadata only).
   * Pass the returned `next` as `after` for the following page. Each page is proven against
   * a verified checkpoint (of `checkpointSize` events) and ends at it; AuditLogError if not.
   */
  auditLog(options: { after?: number; limit?: number } = {}): Promise<{ events: AuditHistoryEvent[]; next: number | null; checkpointSize: number }> {
    return this.audit.events(options.after, options.limit);
  }

  /**
   * The client address recorded with event `index` (AUDIT_LOG_IP), proven against the
   * commitment in its leaf, itself proven in a verified checkpoint: administrators for any
   * event, others for their own and those about their records. After the server's
   * retention time the address is gone (`erased`) and the leaf still verifies. Throws
   * AuditLogError when the server's address is not the one the leaf committed to.
   */
  async auditAddress(index: number): Promise<AuditAddress> {
    return provenAddress(this.http, await this.audit.checkpoint(), index);
  }

  /** Administrators: a single-use invite code for REGISTRATION=invite. */
  async createInvite(options: { expiresInSeconds?: number } = {}): Promise<{ code: string; expiresAt: Date }> {
    const res = await this.http.json<{ code: string; expiresAt: string }>('POST', '/v1/invites', options);
    return { code: res.code, expiresAt: new Date(res.expiresAt) };
  }
}
