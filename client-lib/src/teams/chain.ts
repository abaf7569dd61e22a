import { TeamChainError, applyTeamStatement, equalBytes, fromBase64Url, headSeq, replayTeamChain, type TeamState } from '@testimony-vault/protocol';
import type { Http } from '../api/http.ts';
import type { Unlocked } from '../account/session.ts';
import type { ContactsClient } from '../contacts/client.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError, RollbackError, SignatureError } from '../errors.ts';
import type { StateStore } from '../state/store.ts';

export interface WireTeamStatement {
  seq: number;
  statement: string;
  signature: string;
  /** A removal's case key list, base64url ([Note: the case key list]); null otherwise. */
  caseKeyList?: string | null;
}

export const teamPath = (id: string) => `/v1/teams/${encodeURIComponent(id)}`;

// [Note: team chain memory]
// The client remembers the newest seq it verified of each team's chain and that statement's
// hash, keyed by its own signing key as records are ([Note: rollback] in records/client.ts).
// A chain that ends before it (an old chain replayed) or has another statement there (a
// rewrite, or a fork shown to this client after another) is refused. A fork shown to two
// members from the start is caught by the chain head each team record names.

export class TeamChains {
  /**
   * The last chain verified of each team, as received: a statement already verified, and
   * received again byte for byte at the same place, is not verified again.
   */
  private readonly verifiedChains = new Map<string, { statements: WireTeamStatement[]; state: TeamState }>();

  /** By team, then handle: whether this account verified the person's safety number (checkPins). */
  private readonly verifiedPeople = new Map<string, Map<string, boolean>>();

  /** Whether this account verified `handle`'s safety number, as of the team's last verified chain. */
  isVerified(team: string, handle: string): boolean {
    return handle === this.me().handle || (this.verifiedPeople.get(team)?.get(handle) ?? false);
  }

  constructor(
    private readonly s: Sodium,
    private readonly http: Http,
    private readonly me: () => Unlocked,
    private readonly state: StateStore,
    private readonly contacts: ContactsClient,
  ) {}

  private memoryKey(team: string): string {
    return `team:${this.s.to_hex(this.s.crypto_hash_sha256(this.me().identity.signPublicKey))}:${team}`;
  }

  /** The newest seq and hash this client verified of the team's chain, if any. */
  async remembered(team: string): Promise<{ seq: number; hash: Uint8Array } | undefined> {
    const text = await this.state.get(this.memoryKey(team));
    if (!text) return undefined;
    const [seq, hash] = text.split(':');
    return { seq: Number(seq), hash: this.s.from_hex(hash!) };
  }

  /** Reads and replays the whole chain, checks it against this client's memory and pins, then remembers its head. */
  async verified(team: string): Promise<TeamState> {
    const { statements } = await this.http.json<{ statements: WireTeamStatement[] }>('GET', `${teamPath(team)}/statements`);
    const state = this.replay(team, statements);
    this.verifiedPeople.set(team, await this.checkPins(state));
    const seen = await this.remembered(team);
    if (seen) {
      if (headSeq(state) < seen.seq) throw new RollbackError(`team ${team}: the server presents a chain of ${headSeq(state) + 1} statements, but statement ${seen.seq} was seen`);
      if (!equalBytes(state.hashes[seen.seq]!, seen.hash)) throw new RollbackError(`team ${team}: statement ${seen.seq} is not the one this client verified before (the chain was rewritten or forked)`);
    }
    if (!seen || headSeq(state) > seen.seq) await this.state.set(this.memoryKey(team), `${headSeq(state)}:${this.s.to_hex(state.hashes[headSeq(state)]!)}`);
    this.verifiedChains.set(team, { statements, state });
    return state;
  }

  replay(team: string, statements: WireTeamStatement[]): TeamState {
    if (!statements.every((w, i) => w.seq === i)) throw new IntegrityError(`team ${team}: statements are missing or out of order`);
    const verify = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => {
      try {
        return this.s.crypto_sign_verify_detached(sig, msg, pk);
      } catch {
        return false;
      }
    };
    // [Note: a verified prefix is not verified again] Only when every statement verified
    // before comes back unchanged in its place; any difference replays the whole chain.
    const before = this.verifiedChains.get(team);
    const unchanged = (w: WireTeamStatement, i: number) =>
      w.statement === statements[i]?.statement && w.signature === statements[i]?.signature && (w.caseKeyList ?? null) === (statements[i]?.caseKeyList ?? null);
    const signed = (w: WireTeamStatement) => ({ json: w.statement, signature: decode(w.signature), caseKeyList: w.caseKeyList ? decode(w.caseKeyList) : null });
    try {
      if (before && before.statements.length <= statements.length && before.statements.every(unchanged)) {
        const t = { ...before.state, hashes: [...before.state.hashes], teamEpochs: [...before.state.teamEpochs], statements: [...before.state.statements] };
        for (const w of statements.slice(before.statements.length)) applyTeamStatement(t, signed(w), verify);
        return t;
      }
      return replayTeamChain(team, statements.map(signed), verify);
    } catch (err) {
      if (!(err instanceof TeamChainError)) throw err;
      if (err.kind === 'signature') throw new SignatureError(`team ${team}: ${err.message}`);
      throw new IntegrityError(`team ${team}: ${err.message}`);
    }
  }

  /**
   * Everyone the chain names is pinned (trust on first use, as a contact looked up is) and must
   * keep the keys pinned for them (KeyChangedError otherwise); this account itself must appear
   * with exactly its own keys. Returns, by handle, whether each person's safety number was
   * verified: a team the server made up under a real person's handle shows that person
   * unverified, and writing into it needs the same yes as sharing with them would.
   */
  private async checkPins(state: TeamState): Promise<Map<string, boolean>> {
    const people = [...state.memberships, ...[...state.cases.values()].flatMap((c) => c.reviewers)];
    const verified = new Map<string, boolean>();
    const checked = new Set<string>();
    for (const p of people) {
      const key = `${p.handle}:${this.s.to_hex(p.signPublicKey)}:${this.s.to_hex(p.boxPublicKey)}`;
      if (checked.has(key)) continue;
      checked.add(key);
      const c = await this.contacts.trust({ handle: p.handle, signPublicKey: p.signPublicKey, boxPublicKey: p.boxPublicKey, signature: new Uint8Array(64) });
      verified.set(p.handle, c.verified);
    }
    return verified;
  }
}

function decode(text: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new IntegrityError('a team statement signature or case key list is not base64url');
  }
}
