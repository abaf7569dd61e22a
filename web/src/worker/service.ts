// The vault as the page calls it, living in the worker. One Vault per worker; its keys
// exist only in this worker's memory and die with it (lock terminates the worker).
import { checkPassphrase, cryptoReady, IntegrityError, isMediaOriginal, KeyChangedError, Vault, VaultError, type AuditHistoryPage } from '@testimony-vault/client';
import { checkExport, evidenceBundle, eventView } from './bundle.ts';
import { describeFailure } from './errors-transfer.ts';
import { contactView, grantView, inboxItem, photosWithLocation } from './sharing.ts';
import * as teamViews from './teams.ts';
import { changesOf, fieldsOf } from './drafts.ts';

import { allTags, matches } from './search.ts';
import { inConcurrentBatches } from './concurrent.ts';
import { Uploads, type ProgressListener } from './uploads.ts';
import { reveals, thumbnail, verifiedBlob } from './media.ts';
import { deviceName } from './device-name.ts';
import { summary, versionView, view } from './views.ts';
import type { AccountView, PhotoOriginalView, PhotoReveals, ContactView, ExportCheck, GrantView, HistoryEventView, Inbox, InboxFailure, InboxItem, StrengthView, RecordDraft, RecordSummary, RecordView, SearchQuery, SearchResult, SessionView, VersionView } from './types.ts';

const PAGE = 50;
// Shared records read at once to fill the inbox: each is a request, an audited read and a
// verification; four keep the server and the worker busy without flooding either.
const INBOX_READS_AT_ONCE = 4;

export class NotUnlocked extends VaultError {
  override readonly code = 'VAULT_ERR_LOCKED';
  override name = 'NotUnlocked';
}

export class VaultService {
  private vault: Vault | undefined;
  private readonly uploads = new Uploads(() => this.unlocked());
  /** [Note: the search index] in search.ts. */
  private index: RecordSummary[] | undefined;
  /** What others shared with this account, decrypted when the inbox was last opened: [Note: the search index]. */
  private inboxIndex: { entries: { item: InboxItem; summary: RecordSummary }[]; failures: InboxFailure[] } | undefined;

  private unlocked(): Vault {
    if (!this.vault) throw new NotUnlocked('no account is unlocked in this worker');
    return this.vault;
  }

  private connect(handle: string) {
    return { server: self.location.origin, handle, device: deviceName(self.navigator.userAgent) };
  }

  private account(): AccountView {
    const v = this.unlocked();
    return { handle: v.handle, isAdmin: v.isAdmin, fingerprint: v.fingerprint() };
  }

  /** The library's strength check; its dictionaries load here, in the worker, on first use. */
  async strength(passphrase: string, handle: string): Promise<StrengthView> {
    const { ok, score, reasons } = await checkPassphrase(passphrase, { userInputs: [handle, self.location.hostname].filter(Boolean) });
    return { ok, score, reasons };
  }

  async register(handle: string, passphrase: string, inviteCode: string): Promise<AccountView & { recoveryWords: string[] }> {
    const { vault, recoveryKey } = await Vault.register({ ...this.connect(handle), passphrase, ...(inviteCode ? { inviteCode } : {}) });
    this.vault = vault;
    return { ...this.account(), recoveryWords: recoveryKey.split(/\s+/) };
  }

  async login(handle: string, passphrase: string): Promise<AccountView> {
    this.vault = await Vault.login({ ...this.connect(handle), passphrase });
    return this.account();
  }

  async recover(handle: string, words: string, newPassphrase: string): Promise<AccountView> {
    this.vault = await Vault.recover({ ...this.connect(handle), recoveryKey: words, newPassphrase });
    return this.account();
  }

  changePassphrase(current: string, next: string): Promise<void> {
    return this.unlocked().changePassphrase(current, next);
  }

  async sessions(): Promise<SessionView[]> {
    return (await this.unlocked().sessions()).map((s) => ({
      ...s,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
    }));
  }

  endSession(id: string): Promise<void> {
    return this.unlocked().endSession(id);
  }

  async createInvite(days: number): Promise<{ code: string; expiresAt: string }> {
    const invite = await this.unlocked().createInvite({ expiresInSeconds: Math.round(days * 86_400) });
    return { code: invite.code, expiresAt: invite.expiresAt.toISOString() };
  }

  /** Ends the session on the server and zeroes the keys; the page then terminates the worker. */
  async logout(): Promise<void> {
    const vault = this.vault;
    this.vault = undefined;
    this.index = undefined;
    this.inboxIndex = undefined;
    await vault?.logout();
  }

  async page(cursor: string | null): Promise<{ records: RecordSummary[]; nextCursor: string | null }> {
    const page = await this.unlocked().listRecords({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    return { records: page.records.map(summary), nextCursor: page.nextCursor };
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const all = await this.loadIndex();
    return { records: all.filter((r) => matches(r, query)), tags: allTags(all), searched: all.length };
  }

  private async loadIndex(): Promise<RecordSummary[]> {
    if (this.index) return this.index;
    const out: RecordSummary[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.page(cursor);
      out.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    this.index = out;
    return out;
  }

  async record(id: string, version?: number): Promise<RecordView> {
    const v = this.unlocked();
    return view(await v.getRecord(id, version ? { version } : {}), v.handle);
  }

  async versions(id: string): Promise<VersionView[]> {
    const all = await this.unlocked().recordVersions(id);
    return all.map((r, i) => versionView(r, all[i - 1])).reverse();
  }

  async create(draft: RecordDraft): Promise<string> {
    const { id } = await this.unlocked().createRecord(fieldsOf(draft));
    this.index = undefined;
    return id;
  }

  async update(id: string, draft: RecordDraft): Promise<number> {
    const { version } = await this.unlocked().updateRecord(id, changesOf(draft));
    this.index = undefined;
    return version;
  }

  async remove(id: string): Promise<void> {
    await this.unlocked().deleteRecord(id);
    this.index = undefined;
  }

  async attach(recordId: string, uploadId: string, file: File, listener: ProgressListener): Promise<{ fileId: string; sha256: string }> {
    const { fileId, sha256 } = await this.uploads.attach(recordId, uploadId, file, listener);
    this.index = undefined;
    return { fileId, sha256 };
  }

  cancelUpload(uploadId: string): void {
    this.uploads.cancel(uploadId);
  }

  /** The file's bytes after every check passed: for showing or saving. */
  openFile(recordId: string, fileId: string, type: string): Promise<Blob> {
    return verifiedBlob(this.unlocked(), recordId, fileId, type);
  }

  /** A thumbnail drawn on the device, and what the photo's metadata reveals. */
  async thumbnail(recordId: string, fileId: string, type: string): Promise<{ thumb: Blob | null; reveals: PhotoReveals }> {
    const photo = await verifiedBlob(this.unlocked(), recordId, fileId, type);
    const [thumb, found] = await Promise.all([thumbnail(photo).catch(() => null), reveals(photo)]);
    return { thumb, reveals: found };
  }

  // Contacts and sharing ([Note: safety numbers] in docs/PROTOCOL.md "Contacts").

  /** A person's keys and safety number; pinned on first use, KeyChangedError if they changed. */
  async lookup(handle: string): Promise<ContactView> {
    return contactView(await this.unlocked().lookupUser(handle));
  }

  /** Marks a contact verified once the safety number read out matches the keys presented. */
  async verifyContact(handle: string, safetyNumber: string): Promise<ContactView> {
    return contactView(await this.unlocked().verifyContact(handle, safetyNumber));
  }

  async contacts(): Promise<ContactView[]> {
    return (await this.unlocked().listContacts()).map(contactView);
  }

  /**
   * Shares each record with `handle`; `requireVerified` unless the person accepted the risk.
   * `originals` (one record, redacted only): files whose original redacted readers may open,
   * marked once the grant exists ([Note: originals shared on purpose]; the mark is one-way).
   */
  async share(recordIds: string[], handle: string, expiresAt: string | null, requireVerified: boolean, redactPhotos = false, originals: string[] = []): Promise<GrantView[]> {
    const v = this.unlocked();
    if (originals.length > 0 && (!redactPhotos || recordIds.length !== 1)) throw new VaultError('originals are chosen for one testimony shared redacted');
    const out: GrantView[] = [];
    for (const id of recordIds) {
      out.push(grantView(await v.share(id, handle, { requireVerified, redactPhotos, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) })));
    }
    for (const fileId of originals) await v.shareOriginal(recordIds[0]!, fileId);
    return out;
  }

  /** The photo and video originals of a record, each saying whether redacted readers already open it. */
  async photoOriginals(recordId: string): Promise<PhotoOriginalView[]> {
    const record = await this.unlocked().getRecord(recordId);
    return record.attachments.filter(isMediaOriginal).map((a) => ({ fileId: a.fileId, name: a.name, shared: a.shareOriginal === true }));
  }

  async photosWithLocation(recordIds: string[]): Promise<number> {
    return photosWithLocation(this.unlocked(), recordIds);
  }

  async grants(recordId: string): Promise<GrantView[]> {
    return (await this.unlocked().grants(recordId)).map(grantView);
  }

  async revoke(recordId: string, handle: string): Promise<void> {
    await this.unlocked().revoke(recordId, handle);
    this.index = undefined;
  }

  /**
   * What others shared with this account, each with its verified title. Without `text` the
   * records are read again from the server; with it, the ones read last are searched here,
   * in titles, places and tags, as the own records are (the server never sees a query).
   */
  async inbox(text = ''): Promise<Inbox> {
    if (!text.trim() || !this.inboxIndex) this.inboxIndex = await this.readInbox();
    const query: SearchQuery = { text, tag: '', from: '', to: '' };
    const { entries, failures } = this.inboxIndex;
    return { items: entries.filter((e) => matches(e.summary, query)).map((e) => e.item), failures };
  }

  /**
   * Every shared record read and verified; one whose grant or body fails its checks is a
   * failure of its own, shown as a tampering warning in its place, and hides no other.
   */
  private async readInbox(): Promise<NonNullable<VaultService['inboxIndex']>> {
    const v = this.unlocked();
    const shared = await v.sharedWithMe();
    const failures: InboxFailure[] = shared.failures.map((f) => ({ recordId: f.recordId, from: f.claimedOwner, failure: describeFailure(f.error) }));
    type Read = { item: InboxItem; summary: RecordSummary } | InboxFailure;
    const read = await inConcurrentBatches(shared, INBOX_READS_AT_ONCE, async (s): Promise<Read> => {
      try {
        const record = await v.getRecord(s.recordId);
        // Read only under the owner its grant names: the library refuses any other ([Note: a shared record is its grant's]).
        return { item: inboxItem(s, record), summary: summary(record) };
      } catch (err) {
        if (!(err instanceof IntegrityError || err instanceof KeyChangedError)) throw err;
        return { recordId: s.recordId, from: s.owner.handle, failure: describeFailure(err) };
      }
    });
    const entries: { item: InboxItem; summary: RecordSummary }[] = [];
    for (const r of read) {
      if ('item' in r) entries.push(r);
      else failures.push(r);
    }
    return { entries, failures };
  }

  // Who accessed what.

  /** Walks of a record's history in progress (Vault.recordHistoryPages), one per record. */
  private readonly historyWalks = new Map<string, AsyncGenerator<AuditHistoryPage>>();

  /**
   * The next verified page of a record's history, oldest first; `restart` begins a new walk
   * in a fresh checkpoint. `complete` on the last page, once its end checks passed.
   */
  async historyPage(recordId: string, restart: boolean): Promise<{ events: HistoryEventView[]; complete: boolean }> {
    let walk = this.historyWalks.get(recordId);
    if (restart || !walk) {
      await walk?.return(undefined);
      // 100 events: a screen and a half, shown at once; the rest as the person scrolls.
      walk = this.unlocked().recordHistoryPages(recordId, { pageSize: 100 });
      this.historyWalks.set(recordId, walk);
    }
    try {
      const step = await walk.next();
      if (step.done) throw new VaultError('the history was read to its end');
      if (step.value.complete) this.historyWalks.delete(recordId);
      return { events: step.value.events.map(eventView), complete: step.value.complete };
    } catch (err) {
      this.historyWalks.delete(recordId);
      throw err;
    }
  }

  /** The log key this session checks every history against, for the person to compare with the one their organisation publishes. */
  async logKey(): Promise<string> {
    return (await this.unlocked().auditCheckpoint()).verifierKey;
  }

  /** The record's history for a court: JSON that verifies offline. */
  async exportHistory(recordId: string): Promise<Blob> {
    const doc = await this.unlocked().exportHistory(recordId);
    return new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' });
  }

  /** Administrators: the whole log, a page at a time, each proven against the signed checkpoint of `checkpointSize` events. */
  async activity(after: number | null): Promise<{ events: HistoryEventView[]; next: number | null; checkpointSize: number }> {
    const page = await this.unlocked().auditLog({ limit: 100, ...(after === null ? {} : { after }) });
    return { events: page.events.map(eventView), next: page.next, checkpointSize: page.checkpointSize };
  }

  evidenceBundle(recordId: string): Promise<Blob> {
    return evidenceBundle(this.unlocked(), recordId);
  }

  // Teams, cases and team records (web/src/worker/teams.ts).

  teams = () => teamViews.teamList(this.unlocked());
  createTeam = (name: string) => teamViews.createTeam(this.unlocked(), name);
  team = (team: string) => teamViews.teamView(this.unlocked(), team);
  teamHistory = (team: string) => teamViews.teamHistory(this.unlocked(), team);
  addTeamMember = (team: string, handle: string, role: 'coordinator' | 'member', requireVerified: boolean) => teamViews.addTeamMember(this.unlocked(), team, handle, role, requireVerified);
  removeTeamMember = (team: string, handle: string) => this.unlocked().teams.removeMember(team, handle);
  setTeamRole = (team: string, handle: string, role: 'coordinator' | 'member') => this.unlocked().teams.setRole(team, handle, role);
  createCase = (team: string, name: string, requireVerified: boolean) => teamViews.createCase(this.unlocked(), team, name, requireVerified);
  renameTeamOrCase = (team: string, caseId: string | null, name: string, requireVerified: boolean) => teamViews.rename(this.unlocked(), team, caseId, name, requireVerified);
  shareCase = (team: string, caseId: string, handle: string, expiresAt: string | null, requireVerified: boolean) => teamViews.shareTeamCase(this.unlocked(), team, caseId, handle, expiresAt, requireVerified);
  revokeCase = (team: string, caseId: string, handle: string) => this.unlocked().teams.revokeCase(team, caseId, handle);
  teamCase = (team: string, caseId: string) => teamViews.caseView(this.unlocked(), team, caseId);
  teamCaseHistory = (team: string, caseId: string) => teamViews.caseHistory(this.unlocked(), team, caseId);
  teamRecord = (team: string, recordId: string) => teamViews.teamRecord(this.unlocked(), team, recordId);
  teamRecordVersions = (team: string, recordId: string) => teamViews.teamRecordVersions(this.unlocked(), team, recordId);
  writeTeamTestimony = (team: string, caseId: string, draft: RecordDraft, requireVerified: boolean) => teamViews.writeTestimony(this.unlocked(), team, caseId, draft, requireVerified);
  correctTeamTestimony = (team: string, recordId: string, draft: RecordDraft, requireVerified: boolean) => teamViews.correctTestimony(this.unlocked(), team, recordId, draft, requireVerified);

  /** No account needed: checks an exported history or an evidence bundle, offline. */
  async checkExport(file: Blob): Promise<ExportCheck> {
    await cryptoReady();
    return checkExport(new Uint8Array(await file.arrayBuffer()));
  }
}
