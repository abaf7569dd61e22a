import {
  caseKeyListDigest, currentMember, currentMembers, currentReviewers, currentTeamEpoch, encodeTeamStatement, headSeq, packCaseKeyList, teamStatementBytes,
  teamStatementHash, toBase64Url as b64, fromBase64Url, type CaseKeyCommitment, type TeamAction, type TeamRole, type TeamState, type TeamStatement, type TeamSubject,
} from '@testimony-vault/protocol';
import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import { refuseUnverified, type ContactsClient } from '../contacts/client.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { ApiError, DecryptionError, IntegrityError, RollbackError, VaultError } from '../errors.ts';
import { uuidV4 } from '../records/client.ts';
import type { RecordChanges, RecordFields } from '../records/types.ts';
import type { StateStore } from '../state/store.ts';
import { TeamChains, teamPath } from './chain.ts';
import {
  caseKeyCommitment, newKey, openSharedCaseKey, openTeamKey, sealTeamKey, shareCaseKey, teamKeyCommitment, unwrapCaseKey, unwrapCaseKeyLink, wrapCaseKey,
  wrapCaseKeyLink,
} from './keys.ts';
import { checkNotWrittenAroundRemoval, checkTeamRecord, openTeamRecord, sealTeamRecord, type TeamRecord, type WireTeamRecord } from './records.ts';
import { caseHistory, caseHistoryPages, checkStatementsLogged, type CaseHistoryEvent, type CaseHistoryPage, type HistoryDeps } from './history.ts';
import type { AuditClient } from '../audit/client.ts';
import { addedBy, describeTeam, historyOf, type TeamHistoryEntry, type TeamInfo } from './view.ts';

interface KeyMaterial {
  teamKeys: { handle: string; teamEpoch: number; sealed: string }[];
  caseKeys: { caseId: string; caseEpoch: number; teamEpoch: number; wrapped: string }[];
  caseKeyLinks: { caseId: string; caseEpoch: number; wrapped: string }[];
  shareKeys: { caseId: string; caseEpoch: number; handle: string; sealed: string }[];
  /** A removal's case key list ([Note: the case key list]), base64url. */
  caseKeyList?: string;
}

interface WireKeys {
  teamKeys: { teamEpoch: number; sealed: string }[];
  caseKeys: { caseId: string; caseEpoch: number; teamEpoch: number; wrapped: string }[];
  shareKeys: { caseId: string; caseEpoch: number; sealed: string }[];
}

/** The team and case keys this client opened, in memory only. */
export interface HeldTeamKeys {
  teamKeys: Map<number, Uint8Array>;
  /** By `${caseId}#${caseEpoch}`. */
  caseKeys: Map<string, Uint8Array>;
}

const none = (): KeyMaterial => ({ teamKeys: [], caseKeys: [], caseKeyLinks: [], shareKeys: [] });
const caseRef = (caseId: string, epoch: number) => `${caseId}#${epoch}`;

/** Teams, cases and team records: the client side of docs/PROTOCOL.md "Teams". */
export class TeamsClient {
  readonly chains: TeamChains;
  /** @internal Keys opened per team (memory only; dropped with the Vault). */
  readonly held = new Map<string, HeldTeamKeys>();
  /** @internal Set by the Vault: the audit log a case's history and the check before writing read. */
  audit: AuditClient | undefined;

  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly state: StateStore,
    private readonly contacts: ContactsClient,
  ) {
    this.chains = new TeamChains(s, http, me, state, contacts);
  }

  private self(): TeamSubject {
    const me = this.me();
    return { handle: me.handle, signPublicKey: me.identity.signPublicKey, boxPublicKey: me.identity.boxPublicKey };
  }

  private heldFor(team: string): HeldTeamKeys {
    let h = this.held.get(team);
    if (!h) this.held.set(team, (h = { teamKeys: new Map(), caseKeys: new Map() }));
    return h;
  }

  private statement(state: TeamState | null, team: string, action: TeamAction, rest: Partial<TeamStatement>): TeamStatement {
    const seq = state ? headSeq(state) + 1 : 0;
    return {
      v: 1, team, seq, prev: state ? state.hashes[seq - 1]! : null, action, at: Date.now(), by: this.me().handle,
      subject: null, role: null, teamEpoch: state ? currentTeamEpoch(state).teamEpoch : 1, teamKey: null, caseId: null, caseKeys: [], caseKeyList: null, expiresAt: null,
      ...rest,
    };
  }

  private async post(team: string, st: TeamStatement, keys: KeyMaterial): Promise<string> {
    const json = encodeTeamStatement(st);
    const signature = this.s.crypto_sign_detached(teamStatementBytes(json), this.me().privateKeys.signSecretKey);
    await this.http.json('POST', `${teamPath(team)}/statements`, { statement: json, signature: b64(signature), ...keys });
    return json;
  }

  /** Runs a coordinator's change on the verified chain, again if another statement came first. */
  private async change(team: string, make: (state: TeamState) => Promise<{ st: TeamStatement; keys: KeyMaterial }>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const verified = await this.chains.verified(team);
      const mine = currentMember(verified, this.me().handle);
      if (!mine || mine.role !== 'coordinator') throw new VaultError(`only a coordinator of team ${team} can change it`);
      // [Note: H1(b) statements logged before writing]: a statement is signed under the log's chain too.
      const state = await checkStatementsLogged(this.historyDeps(), team, verified);
      const { st, keys } = await make(state);
      try {
        await this.post(team, st, keys);
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'VAULT_ERR_VERSION_CONFLICT') || attempt >= 3) throw err;
      }
    }
  }

  /** Creates a team with this account as its coordinator, and its general space (the case whose id is the team id). */
  async create(): Promise<string> {
    const s = this.s;
    const team = uuidV4(s);
    const teamKey = newKey(s);
    const st0 = this.statement(null, team, 'create', { subject: this.self(), role: 'coordinator', teamKey: teamKeyCommitment(s, team, 1, teamKey) });
    const json0 = await this.post(team, st0, { ...none(), teamKeys: [{ handle: this.me().handle, teamEpoch: 1, sealed: b64(sealTeamKey(s, team, 1, teamKey, this.me().identity.boxPublicKey)) }] });
    const caseKey = newKey(s);
    const st1: TeamStatement = {
      ...this.statement(null, team, 'case-create', { caseId: team, caseKeys: [{ caseId: team, caseEpoch: 1, commitment: caseKeyCommitment(s, team, team, 1, caseKey) }] }),
      seq: 1,
      prev: teamStatementHash(json0),
    };
    await this.post(team, st1, { ...none(), caseKeys: [{ caseId: team, caseEpoch: 1, teamEpoch: 1, wrapped: b64(wrapCaseKey(s, teamKey, team, team, 1, 1, caseKey)) }] });
    const held = this.heldFor(team);
    held.teamKeys.set(1, teamKey);
    held.caseKeys.set(caseRef(team, 1), caseKey);
    await this.chains.verified(team);
    return team;
  }

  /** The person's keys, checked against this account's pin (KeyChangedError), and verified if asked. */
  private async person(handle: string, requireVerified: boolean): Promise<TeamSubject> {
    const c = await this.contacts.lookup(handle.trim().toLowerCase());
    refuseUnverified(c, requireVerified);
    return { handle: c.handle, signPublicKey: c.keys.signPublicKey, boxPublicKey: c.keys.boxPublicKey };
  }

  async addMember(team: string, handle: string, options: { role?: TeamRole; requireVerified?: boolean } = {}): Promise<void> {
    const subject = await this.person(handle, options.requireVerified ?? false);
    await this.change(team, async (state) => {
      const epoch = currentTeamEpoch(state).teamEpoch;
      const teamKey = await this.teamKey(team, state, epoch);
      const st = this.statement(state, team, 'add', { subject, role: options.role ?? 'member' });
      return { st, keys: { ...none(), teamKeys: [{ handle: subject.handle, teamEpoch: epoch, sealed: b64(sealTeamKey(this.s, team, epoch, teamKey, subject.boxPublicKey)) }] } };
    });
  }

  async setRole(team: string, handle: string, role: TeamRole): Promise<void> {
    await this.change(team, async (state) => {
      const m = currentMember(state, handle);
      if (!m) throw new VaultError(`${handle} is not a member of team ${team}`);
      if (m.role === role) throw new VaultError(`${handle} already has role ${role} in team ${team}`);
      // The chain refuses it too (a team keeps a coordinator); said here before anything is signed.
      const coordinators = state.memberships.filter((x) => x.to === null && x.role === 'coordinator');
      if (role === 'member' && coordinators.length === 1) throw new VaultError(`${handle} is the last coordinator of team ${team}: make someone else coordinator first`);
      return { st: this.statement(state, team, 'role', { subject: m, role }), keys: none() };
    });
  }

  /**
   * Removes a member: a new team epoch and a new epoch of every case, sealed and wrapped from
   * the chain's keys only ([Note: team keys are committed to]); everything written afterwards
   * is under keys the removed member never held. Each case's new key is wrapped under the new
   * team key and wraps the case's previous key ([Note: case key links]); the statement names
   * the new epochs by the digest of their list ([Note: the case key list]): one key, one link
   * and one list entry per case, however many removals came before.
   */
  async removeMember(team: string, handle: string): Promise<void> {
    const s = this.s;
    await this.change(team, async (state) => {
      const m = currentMember(state, handle);
      if (!m) throw new VaultError(`${handle} is not a member of team ${team}`);
      const epoch = currentTeamEpoch(state).teamEpoch + 1;
      const teamKey = newKey(s);
      const keys = none();
      const list: CaseKeyCommitment[] = [];
      for (const c of state.cases.values()) {
        const next = c.epochs.length + 1;
        const fresh = newKey(s);
        list.push({ caseId: c.caseId, caseEpoch: next, commitment: caseKeyCommitment(s, team, c.caseId, next, fresh) });
        keys.caseKeys.push({ caseId: c.caseId, caseEpoch: next, teamEpoch: epoch, wrapped: b64(wrapCaseKey(s, teamKey, team, c.caseId, next, epoch, fresh)) });
        const previous = await this.caseKey(team, state, c.caseId, next - 1);
        keys.caseKeyLinks.push({ caseId: c.caseId, caseEpoch: next, wrapped: b64(wrapCaseKeyLink(s, fresh, team, c.caseId, next, previous)) });
        for (const r of liveReviewers(currentReviewers(c))) keys.shareKeys.push({ caseId: c.caseId, caseEpoch: next, handle: r.handle, sealed: b64(shareCaseKey(s, team, c.caseId, next, fresh, r.boxPublicKey)) });
        s.memzero(fresh);
      }
      for (const member of currentMembers(state).filter((x) => x.handle !== handle)) {
        keys.teamKeys.push({ handle: member.handle, teamEpoch: epoch, sealed: b64(sealTeamKey(s, team, epoch, teamKey, member.boxPublicKey)) });
      }
      const packed = packCaseKeyList(list);
      keys.caseKeyList = b64(packed);
      const caseKeyList = { count: list.length, digest: caseKeyListDigest(team, headSeq(state) + 1, packed) };
      const st = this.statement(state, team, 'remove', { subject: m, teamEpoch: epoch, teamKey: teamKeyCommitment(s, team, epoch, teamKey), caseKeyList });
      s.memzero(teamKey);
      return { st, keys };
    });
  }

  async createCase(team: string): Promise<string> {
    const s = this.s;
    const caseId = uuidV4(s);
    await this.change(team, async (state) => {
      const epoch = currentTeamEpoch(state).teamEpoch;
      const teamKey = await this.teamKey(team, state, epoch);
      const caseKey = newKey(s);
      const st = this.statement(state, team, 'case-create', { caseId, caseKeys: [{ caseId, caseEpoch: 1, commitment: caseKeyCommitment(s, team, caseId, 1, caseKey) }] });
      const keys = { ...none(), caseKeys: [{ caseId, caseEpoch: 1, teamEpoch: epoch, wrapped: b64(wrapCaseKey(s, teamKey, team, caseId, 1, epoch, caseKey)) }] };
      s.memzero(caseKey);
      return { st, keys };
    });
    return caseId;
  }

  /**
   * Shares a case with an outside reviewer: its current key, sealed to the reviewer's pinned
   * keys; the reviewer reaches the older epochs by the case key links.
   */
  async shareCase(team: string, caseId: string, handle: string, options: { expiresAt?: Date; requireVerified?: boolean } = {}): Promise<void> {
    const subject = await this.person(handle, options.requireVerified ?? false);
    await this.change(team, async (state) => {
      const c = state.cases.get(caseId);
      if (!c) throw new VaultError(`team ${team} has no case ${caseId}`);
      const keys = none();
      const e = c.epochs.length;
      keys.shareKeys.push({ caseId, caseEpoch: e, handle: subject.handle, sealed: b64(shareCaseKey(this.s, team, caseId, e, await this.caseKey(team, state, caseId, e), subject.boxPublicKey)) });
      const st = this.statement(state, team, 'case-share', { subject, caseId, expiresAt: options.expiresAt?.getTime() ?? null });
      return { st, keys };
    });
  }

  /** Ends a reviewer's access to a case and starts the case's next key epoch. */
  async revokeCase(team: string, caseId: string, handle: string): Promise<void> {
    const s = this.s;
    await this.change(team, async (state) => {
      const c = state.cases.get(caseId);
      const r = c && currentReviewers(c).find((x) => x.handle === handle);
      if (!c || !r) throw new VaultError(`${handle} does not review case ${caseId}`);
      const epoch = currentTeamEpoch(state).teamEpoch;
      const teamKey = await this.teamKey(team, state, epoch);
      const next = c.epochs.length + 1;
      const fresh = newKey(s);
      const keys = none();
      keys.caseKeys.push({ caseId, caseEpoch: next, teamEpoch: epoch, wrapped: b64(wrapCaseKey(s, teamKey, team, caseId, next, epoch, fresh)) });
      const previous = await this.caseKey(team, state, caseId, next - 1);
      keys.caseKeyLinks.push({ caseId, caseEpoch: next, wrapped: b64(wrapCaseKeyLink(s, fresh, team, caseId, next, previous)) });
      for (const other of liveReviewers(currentReviewers(c)).filter((x) => x.handle !== handle)) {
        keys.shareKeys.push({ caseId, caseEpoch: next, handle: other.handle, sealed: b64(shareCaseKey(s, team, caseId, next, fresh, other.boxPublicKey)) });
      }
      const st = this.statement(state, team, 'case-revoke', { subject: r, caseId, caseKeys: [{ caseId, caseEpoch: next, commitment: caseKeyCommitment(s, team, caseId, next, fresh) }] });
      s.memzero(fresh);
      return { st, keys };
    });
  }

  /** The teams this account is a member of or reviews a case of, as the server lists them (open one with info() to verify). */
  async list(): Promise<{ id: string; role: string }[]> {
    const { teams } = await this.http.json<{ teams: { id: string; role: string }[] }>('GET', '/v1/teams');
    return teams.map((t) => ({ id: t.id, role: t.role }));
  }

  /** The team as its verified chain has it now. */
  async info(team: string): Promise<TeamInfo> {
    const state = await this.chains.verified(team);
    return describeTeam(this.s, state, this.me().handle, (h) => this.chains.isVerified(team, h));
  }

  /** Every statement of the verified chain, oldest first: who added whom, when, with which role, each case share and revocation. */
  async history(team: string): Promise<TeamHistoryEntry[]> {
    return historyOf(this.s, await this.chains.verified(team));
  }

  // ---- keys ----------------------------------------------------------------------------

  /** Opens what the server holds for this account (each key checked against the chain's commitment). */
  private async loadKeys(team: string, state: TeamState): Promise<void> {
    const s = this.s;
    const me = this.me();
    const w = await this.http.json<WireKeys>('GET', `${teamPath(team)}/keys`);
    const held = this.heldFor(team);
    for (const k of w.teamKeys) {
      const e = state.teamEpochs.find((x) => x.teamEpoch === k.teamEpoch);
      if (!e || held.teamKeys.has(k.teamEpoch)) continue;
      held.teamKeys.set(k.teamEpoch, openTeamKey(s, team, k.teamEpoch, fromBase64Url(k.sealed), e.commitment, me.identity.boxPublicKey, me.privateKeys.boxSecretKey));
    }
    for (const k of w.caseKeys) {
      const commitment = state.cases.get(k.caseId)?.epochs[k.caseEpoch - 1]?.commitment;
      const teamKey = held.teamKeys.get(k.teamEpoch);
      if (!commitment || !teamKey || held.caseKeys.has(caseRef(k.caseId, k.caseEpoch))) continue;
      held.caseKeys.set(caseRef(k.caseId, k.caseEpoch), unwrapCaseKey(s, teamKey, team, k.caseId, k.caseEpoch, k.teamEpoch, fromBase64Url(k.wrapped), commitment));
    }
    for (const k of w.shareKeys) {
      const commitment = state.cases.get(k.caseId)?.epochs[k.caseEpoch - 1]?.commitment;
      if (!commitment || held.caseKeys.has(caseRef(k.caseId, k.caseEpoch))) continue;
      held.caseKeys.set(caseRef(k.caseId, k.caseEpoch), openSharedCaseKey(s, team, k.caseId, k.caseEpoch, fromBase64Url(k.sealed), commitment, me.identity.boxPublicKey, me.privateKeys.boxSecretKey));
    }
  }

  private async teamKey(team: string, state: TeamState, epoch: number): Promise<Uint8Array> {
    if (!this.held.get(team)?.teamKeys.has(epoch)) await this.loadKeys(team, state);
    const key = this.held.get(team)?.teamKeys.get(epoch);
    if (!key) throw new DecryptionError(`team ${team}: this account holds no key of team epoch ${epoch}`);
    return key;
  }

  private async caseKey(team: string, state: TeamState, caseId: string, epoch: number): Promise<Uint8Array> {
    const ref = caseRef(caseId, epoch);
    if (!this.held.get(team)?.caseKeys.has(ref)) await this.loadKeys(team, state);
    if (!this.held.get(team)?.caseKeys.has(ref)) await this.followLinks(team, state, caseId, epoch);
    const key = this.held.get(team)?.caseKeys.get(ref);
    if (!key) throw new DecryptionError(`team ${team}: this account holds no key of case ${caseId} epoch ${epoch}`);
    return key;
  }

  /**
   * Reaches an older epoch of a case key from the nearest newer epoch this client holds, by
   * the case's key links ([Note: case key links]), each key checked against its commitment.
   * Stops, holding nothing new, where a link is missing.
   */
  private async followLinks(team: string, state: TeamState, caseId: string, epoch: number): Promise<void> {
    const c = state.cases.get(caseId);
    const held = this.heldFor(team);
    if (!c || epoch < 1 || epoch >= c.epochs.length) return;
    let from = epoch + 1;
    while (from <= c.epochs.length && !held.caseKeys.has(caseRef(caseId, from))) from++;
    if (from > c.epochs.length) return;
    const { links } = await this.http.json<{ links: { caseEpoch: number; wrapped: string }[] }>('GET', `${teamPath(team)}/cases/${encodeURIComponent(caseId)}/key-links`);
    const byEpoch = new Map(links.map((l) => [l.caseEpoch, l.wrapped]));
    for (let e = from; e > epoch; e--) {
      if (held.caseKeys.has(caseRef(caseId, e - 1))) continue;
      const wrapped = byEpoch.get(e);
      if (wrapped === undefined) return;
      let bytes: Uint8Array;
      try {
        bytes = fromBase64Url(wrapped);
      } catch {
        throw new IntegrityError(`case key link ${caseId}#${e} is not base64url`);
      }
      held.caseKeys.set(caseRef(caseId, e - 1), unwrapCaseKeyLink(this.s, held.caseKeys.get(caseRef(caseId, e))!, team, caseId, e, bytes, c.epochs[e - 2]!.commitment));
    }
  }

  // ---- team records --------------------------------------------------------------------

  /**
   * [Note: a team is only as trusted as who added you] The server could show this account a
   * team it made up, under a real person's handle with keys of its own. Everyone the chain names
   * is pinned on first sight; writing testimony into the team while the person who added this
   * account is unverified needs the same yes as sharing with an unverified person
   * (`requireVerified: false`, after the user accepted the risk).
   */
  private requireTrustedAdder(team: string, state: TeamState, requireVerified: boolean): void {
    const adder = addedBy(state, this.me().handle);
    if (adder !== null) refuseUnverified({ handle: adder, verified: this.chains.isVerified(team, adder) }, requireVerified);
  }

  private async writeVersion(
    team: string, caseId: string, recordId: string, version: number, fields: RecordFields, createdAt: string, requireVerified: boolean,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // Who added this account is checked first: a refusal of its own, before any request.
      const verified = await this.chains.verified(team);
      if (!currentMember(verified, this.me().handle)) throw new VaultError(`this account is not a member of team ${team}`);
      this.requireTrustedAdder(team, verified, requireVerified);
      // [Note: H1(b) statements logged before writing]: the chain written under is the log's.
      const state = await checkStatementsLogged(this.historyDeps(), team, verified);
      const c = state.cases.get(caseId);
      if (!c) throw new VaultError(`team ${team} has no case ${caseId}`);
      // [Note: ended shares rotate at a coordinator's next write] A share past its signed end
      // date is refused by the server, but its reviewer still holds the current case key: a
      // coordinator writing into the case first ends it, which starts a new case epoch.
      const ended = currentReviewers(c).filter((r) => r.expiresAt !== null && r.expiresAt <= Date.now());
      if (ended.length > 0 && currentMember(state, this.me().handle)?.role === 'coordinator') {
        for (const r of ended) await this.revokeCase(team, caseId, r.handle);
        continue;
      }
      const caseEpoch = c.epochs.length;
      const caseKey = await this.caseKey(team, state, caseId, caseEpoch);
      const sealed = sealTeamRecord(this.s, caseKey, this.me().privateKeys.signSecretKey, { team, caseId, recordId, version, caseEpoch, chain: state }, {
        v: 1, fields, createdAt, writtenAt: new Date().toISOString(),
      });
      const body = {
        caseEpoch, chainSeq: sealed.chainSeq, chainHead: b64(sealed.chainHead), wrappedKey: b64(sealed.wrappedKey), body: b64(sealed.body), signature: b64(sealed.signature),
      };
      try {
        if (version === 1) await this.http.json('POST', `${teamPath(team)}/records`, { id: recordId, caseId, ...body });
        else await this.http.json('POST', `${teamPath(team)}/records/${encodeURIComponent(recordId)}/versions`, { version, ...body });
        return;
      } catch (err) {
        // The chain moved on (or the case key rotated) since it was read: read it again.
        if (!(err instanceof ApiError && err.code === 'VAULT_ERR_VERSION_CONFLICT') || attempt >= 3 || version !== 1) throw err;
      }
    }
  }

  /**
   * Writes a record into a case (the general space when `caseId` is the team id). Refused while
   * whoever added this account to the team is unverified, unless `requireVerified: false`
   * ([Note: a team is only as trusted as who added you]).
   */
  async writeRecord(team: string, caseId: string, fields: RecordFields, options: { requireVerified?: boolean } = {}): Promise<{ id: string; version: number }> {
    const id = uuidV4(this.s);
    await this.writeVersion(team, caseId, id, 1, fields, new Date().toISOString(), options.requireVerified ?? true);
    return { id, version: 1 };
  }

  /** Writes the next version, under the case's current key. */
  async updateRecord(team: string, recordId: string, changes: RecordChanges, options: { requireVerified?: boolean } = {}): Promise<{ id: string; version: number }> {
    const current = await this.readRecord(team, recordId);
    const fields = Object.fromEntries(Object.entries({ ...current.fields, ...changes }).filter(([, v]) => v !== undefined)) as RecordFields;
    await this.writeVersion(team, current.caseId, recordId, current.version + 1, fields, current.createdAt.toISOString(), options.requireVerified ?? true);
    return { id: recordId, version: current.version + 1 };
  }

  /**
   * Verifies and opens one version: as the latest (`asLatest`: the server says no version
   * comes after it) or as one asked for by number.
   */
  private async open(team: string, w: WireTeamRecord, stateIn: TeamState, asLatest = true): Promise<TeamRecord> {
    if (w.teamId !== team) throw new RollbackError(`team record ${w.id}: served as a record of another team`);
    // A head beyond this client's chain: the chain may simply have grown since it was read.
    const state = w.chainSeq > headSeq(stateIn) ? await this.chains.verified(team) : stateIn;
    const checked = checkTeamRecord(this.s, state, w);
    const record = openTeamRecord(this.s, await this.caseKey(team, state, w.caseId, w.caseEpoch), w, checked);
    checkNotWrittenAroundRemoval(state, record);
    // [Note: rollback], for team records: the highest version verified of each is remembered;
    // no answer may claim a latest version below it, and the latest is the latest.
    const seen = await this.seenVersion(w.id);
    if (w.latestVersion < seen || w.latestVersion < w.version || (asLatest && w.latestVersion !== w.version)) {
      throw new RollbackError(`team record ${w.id}: the server presents version ${w.version} (latest ${w.latestVersion}) but version ${seen} was seen`);
    }
    if (w.version > seen) await this.state.set(this.seenKey(w.id), String(w.version));
    return record;
  }

  private seenKey(recordId: string): string {
    return `teamrec:${this.s.to_hex(this.s.crypto_hash_sha256(this.me().identity.signPublicKey))}:${recordId}`;
  }

  /** The highest version of the team record this client verified (0 for none). */
  private async seenVersion(recordId: string): Promise<number> {
    return Number((await this.state.get(this.seenKey(recordId))) ?? 0);
  }

  private async fetchVersion(team: string, recordId: string, version?: number): Promise<WireTeamRecord> {
    const query = version === undefined ? '' : `?version=${version}`;
    const w = await this.http.json<WireTeamRecord>('GET', `${teamPath(team)}/records/${encodeURIComponent(recordId)}${query}`);
    if (w.id !== recordId || (version !== undefined && w.version !== version)) {
      throw new RollbackError(`team record ${recordId}: the server answered with another record or version`);
    }
    return w;
  }

  /** The latest version of a team record, or the version numbered `version`, verified as the latest is. */
  async readRecord(team: string, recordId: string, options: { version?: number } = {}): Promise<TeamRecord> {
    const state = await this.chains.verified(team);
    const w = await this.fetchVersion(team, recordId, options.version);
    return this.open(team, w, state, options.version === undefined);
  }

  /**
   * [Note: a correction does not hide the original] Every version of a team record, oldest
   * first, each verified as readRecord verifies one, with its author and `writtenAt`: a reader
   * sees who wrote each version when versions have different authors. A version that fails
   * its checks (an IntegrityError) hides no other: it is named in `failures` with its number.
   */
  async recordVersions(team: string, recordId: string): Promise<TeamRecordVersions> {
    const state = await this.chains.verified(team);
    const latest = await this.fetchVersion(team, recordId);
    const count = latest.latestVersion;
    // A history that ends before the latest version this client saw is refused whole.
    if (!Number.isSafeInteger(count) || count < 1 || latest.version !== count || count < (await this.seenVersion(recordId))) {
      throw new RollbackError(`team record ${recordId}: the version history ends at ${String(count)}, before the latest version seen`);
    }
    const out: TeamRecordVersions = Object.assign([] as TeamRecord[], { failures: [] as TeamRecordVersions['failures'] });
    for (let version = 1; version <= count; version++) {
      try {
        const w = version === count ? latest : await this.fetchVersion(team, recordId, version);
        out.push(await this.open(team, w, state, version === count));
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        out.failures.push({ version, error: err });
      }
    }
    return out;
  }

  private historyDeps(): HistoryDeps {
    if (!this.audit) throw new VaultError('teams need the audit log client');
    const caseRecords = async (t: string, caseId: string) => {
      const list = await this.listRecords(t, { caseId });
      // Only records verified as this case's: a failure may be another case's, served as this one's.
      return list.map((r) => r.id);
    };
    return { http: this.http, audit: this.audit, me: () => this.me().handle, chain: (t) => this.chains.verified(t), caseRecords };
  }

  /** A case's audit history, verified, oldest first (docs/PROTOCOL.md "A case's audit history"); AuditLogError when it fails. */
  caseHistory(team: string, caseId: string): Promise<CaseHistoryEvent[]> {
    return caseHistory(this.historyDeps(), team, caseId);
  }

  /** The same, a page at a time, each page once it passed its checks. */
  caseHistoryPages(team: string, caseId: string, options: { pageSize?: number } = {}): AsyncGenerator<CaseHistoryPage> {
    return caseHistoryPages(this.historyDeps(), team, caseId, options);
  }

  /**
   * Every record of the team (or of one case) this account may read, newest change first, each
   * verified. A record that fails its checks does not hide the others: it is left out of the
   * list and named in the list's `failures` with the error (an IntegrityError: a bad signature, a rollback, a key that does
   * not open it, a record served for another case), and the rest are returned.
   */
  async listRecords(team: string, options: { caseId?: string } = {}): Promise<TeamRecordList> {
    const state = await this.chains.verified(team);
    const out: TeamRecordList = Object.assign([] as TeamRecord[], { failures: [] as TeamRecordList['failures'] });
    const seen = new Set<string>();
    for (let cursor: string | null = null; ; ) {
      const q = new URLSearchParams();
      if (options.caseId) q.set('caseId', options.caseId);
      if (cursor) q.set('cursor', cursor);
      const page: { records: WireTeamRecord[]; nextCursor: string | null } = await this.http.json('GET', `${teamPath(team)}/records?${q}`);
      for (const w of page.records) {
        // A server that pages back over what it sent would otherwise keep this loop going.
        if (seen.has(w.id)) throw new IntegrityError(`team ${team}: record ${w.id} listed twice`);
        seen.add(w.id);
        try {
          if (options.caseId && w.caseId !== options.caseId) throw new IntegrityError(`team record ${w.id}: served as a record of case ${options.caseId}, but it is of case ${w.caseId}`);
          out.push(await this.open(team, w, state));
        } catch (err) {
          if (!(err instanceof IntegrityError)) throw err;
          out.failures.push({ id: w.id, caseId: w.caseId, error: err });
        }
      }
      if (page.nextCursor === null || page.records.length === 0) return out;
      cursor = page.nextCursor;
    }
  }
}

/** What recordVersions verified, oldest first, and each version it could not: one bad version hides no other. */
export type TeamRecordVersions = TeamRecord[] & { failures: { version: number; error: IntegrityError }[] };

/** What listRecords verified, and each record it could not: one bad record hides no other. */
export type TeamRecordList = TeamRecord[] & { failures: { id: string; caseId: string; error: IntegrityError }[] };

/** Reviewers whose signed end date has not passed: the client judges, not the server. */
function liveReviewers<T extends { expiresAt: number | null }>(list: T[]): T[] {
  const now = Date.now();
  return list.filter((r) => r.expiresAt === null || r.expiresAt > now);
}
