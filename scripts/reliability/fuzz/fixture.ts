import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Vault } from '@testimony-vault/client';
import { CHUNK_OVERHEAD, STREAM_HEADER_BYTES, WRAPPED_FILE_KEY_BYTES } from '@testimony-vault/protocol';
import type { FuzzTarget, SeededAccount, SentRequest } from './cases.ts';

// Data stored before the run through the client library (encrypted, signed, as a user
// would), and the check afterwards that all of it still decrypts and verifies.

// The fuzzer's Argon2id cost: libsodium's minimum (the server it starts accepts it).
export const FUZZ_KDF = { opsLimit: 1, memLimit: 8192 };
const CHUNK = 64 * 1024;
const STRIDE = CHUNK + CHUNK_OVERHEAD;

interface Expected {
  id: string;
  /** Whose record it is (index into the accounts). */
  owner: number;
  /** Accounts that read it through a grant. */
  readers: number[];
  version: number;
  fields: string;
  files: { fileId: string; sha256: string }[];
}

export interface Seeded {
  target: FuzzTarget;
  accounts: { handle: string; passphrase: string; recoveryKey: string }[];
  expected: Expected[];
  /** A team of accounts 0 (coordinator) and 1 (member), a case, and a testimony written into it. */
  team: { id: string; caseId: string; recordId: string; fields: string; members: number[] };
  /** Plaintext that must never be found on the server: narrative canaries, excerpts of file bytes. */
  plaintext: { name: string; value: string | Uint8Array }[];
}

/** A fetch that keeps the session token of each login (the fuzzer sends as that session). */
/** Also keeps the JSON requests the client sends (bodies the fuzzer replays), none to /v1/auth/. */
function tokenFetch(): { fetch: typeof fetch; session: () => { token: string; accountId: string }; sent: SentRequest[] } {
  let session = { token: '', accountId: '' };
  const sent: SentRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    if (typeof init?.body === 'string' && !url.pathname.startsWith('/v1/auth/')) sent.push({ method: init.method ?? 'GET', path: url.pathname, body: JSON.parse(init.body) as unknown });
    const res = await fetch(input, init);
    if (String(input).endsWith('/v1/auth/login') && res.ok) {
      const body = (await res.clone().json()) as { token: string; account: { id: string } };
      session = { token: body.token, accountId: body.account.id };
    }
    return res;
  };
  return { fetch: wrapped, session: () => session, sent };
}

const options = (server: string, handle: string, passphrase: string, f?: typeof fetch) => ({ server, handle, passphrase, kdf: FUZZ_KDF, kdfFloor: FUZZ_KDF, ...(f ? { fetch: f } : {}) });

/** Bytes that differ at every position (a file the size of a few chunks). */
const bytesOf = (size: number) => randomBytes(size);

/** An upload started and left half done (a part stored), owned by `token`'s account. */
async function uploadInProgress(server: string, token: string, recordId: string): Promise<string> {
  const fileId = randomUUID();
  const auth = { authorization: `Bearer ${token}` };
  const b64 = (n: number) => randomBytes(n).toString('base64url');
  const started = await fetch(`${server}/v1/records/${recordId}/files`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId, chunkSize: CHUNK, partChunks: 2, header: b64(STREAM_HEADER_BYTES), wrappedKey: b64(WRAPPED_FILE_KEY_BYTES) }),
  });
  if (started.status !== 201) throw new Error(`seeding an upload: ${started.status}`);
  const part = await fetch(`${server}/v1/files/${fileId}/parts/0`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(2 * STRIDE) });
  if (part.status !== 200) throw new Error(`seeding a part: ${part.status}`);
  return fileId;
}

export async function seed(server: string): Promise<Seeded> {
  const run = randomBytes(3).toString('hex');
  const labels = ['owner', 'reviewer', 'bystander'];
  const vaults: Vault[] = [];
  const accounts: Seeded['accounts'] = [];
  const seeded: SeededAccount[] = [];
  for (const label of labels) {
    const handle = `fz-${label}-${run}`;
    const passphrase = randomBytes(16).toString('hex');
    const t = tokenFetch();
    const registered = await Vault.register(options(server, handle, passphrase, t.fetch));
    vaults.push(registered.vault);
    accounts.push({ handle, passphrase, recoveryKey: registered.recoveryKey });
    seeded.push({ handle, ...t.session(), records: [], readable: [], files: [], uploads: [], teams: [], cases: [], teamRecords: [], sent: t.sent });
  }
  const expected: Expected[] = [];
  const plaintext: Seeded['plaintext'] = [];
  const write = async (owner: number, title: string, files: number[], edit: boolean) => {
    const v = vaults[owner]!;
    const canary = `CANARY-${run}-${title.replace(/\W/g, '')}`;
    plaintext.push({ name: `narrative canary of ${title}`, value: canary });
    const { id } = await v.createRecord({ title, narrative: `Narrative of ${title}: ${canary} ${'relato '.repeat(50)}`, language: 'es', tags: ['fuzz'] });
    if (edit) await v.updateRecord(id, { place: 'Reynosa, Tamaulipas' });
    for (const [i, size] of files.entries()) {
      const bytes = bytesOf(size);
      plaintext.push({ name: `bytes of ${title} file ${i}`, value: bytes.subarray(Math.floor(size / 2), Math.floor(size / 2) + 8) });
      plaintext.push({ name: `name of ${title} file ${i}`, value: `evidence-${run}-${i}.bin` });
      await v.attachFile(id, bytes, { name: `evidence-${run}-${i}.bin`, type: 'application/octet-stream', chunkSize: CHUNK });
    }
    const r = await v.getRecord(id);
    seeded[owner]!.records.push(id);
    seeded[owner]!.files.push(...r.attachments.map((a) => a.fileId));
    expected.push({ id, owner, readers: [], version: r.version, fields: JSON.stringify(r.fields), files: r.attachments.map((a) => ({ fileId: a.fileId, sha256: a.sha256 })) });
    return id;
  };
  const shared = await write(0, 'Testimonio A', [3 * CHUNK + 1000, 10], false);
  const edited = await write(0, 'Testimonio B', [], true);
  await write(1, 'Testimonio C', [CHUNK + 5], false);
  await write(2, 'Testimonio D', [], true);
  await vaults[0]!.lookupUser(accounts[1]!.handle);
  await vaults[0]!.share(shared, accounts[1]!.handle);
  seeded[1]!.readable.push(shared);
  expected[0]!.readers.push(1);
  seeded[0]!.uploads.push(await uploadInProgress(server, seeded[0]!.token, edited));
  seeded[1]!.uploads.push(await uploadInProgress(server, seeded[1]!.token, seeded[1]!.records[0]!));
  // A team, so that the team routes are reached with ids that exist (statements, keys, key
  // links, records, versions, histories), not only refused at the first lookup.
  const team = await vaults[0]!.teams.create();
  await vaults[0]!.lookupUser(accounts[1]!.handle);
  await vaults[0]!.teams.addMember(team, accounts[1]!.handle, { requireVerified: false });
  const caseId = await vaults[0]!.teams.createCase(team);
  const teamCanary = `CANARY-${run}-team`;
  plaintext.push({ name: 'narrative canary of the team testimony', value: teamCanary });
  const written = await vaults[0]!.teams.writeRecord(team, caseId, { title: 'Testimonio del equipo', narrative: `Relato del equipo: ${teamCanary}`, language: 'es' });
  const teamRecord = await vaults[0]!.teams.readRecord(team, written.id);
  for (const a of [seeded[0]!, seeded[1]!]) {
    a.teams.push(team);
    a.cases.push(caseId, team);
    a.teamRecords.push(written.id);
  }
  const teamSeed = { id: team, caseId, recordId: written.id, fields: JSON.stringify(teamRecord.fields), members: [0, 1] };
  return { target: { accounts: seeded, strides: [STRIDE] }, accounts, expected, plaintext, team: teamSeed };
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) h.update(piece);
  return h.digest('hex');
}

/**
 * Logs in as each seeded account and reads back everything seeded: each record at the
 * version it had, every version verified, each file decrypted and hashed. Returns the
 * failures (no secrets in them); empty when every record and file is intact.
 */
export async function verify(server: string, s: Seeded): Promise<{ records: number; files: number; failures: string[] }> {
  const failures: string[] = [];
  let records = 0;
  let files = 0;
  for (const [who, account] of s.accounts.entries()) {
    let v: Vault;
    try {
      v = await Vault.login(options(server, account.handle, account.passphrase));
    } catch (err) {
      failures.push(`login of seeded account ${who}: ${describe(err)}`);
      continue;
    }
    for (const [n, e] of s.expected.entries()) {
      if (e.owner !== who && !e.readers.includes(who)) continue;
      const where = `record ${n} read by account ${who}`;
      try {
        const r = await v.getRecord(e.id);
        if (r.version !== e.version) failures.push(`${where}: version ${r.version}, expected ${e.version}`);
        if (JSON.stringify(r.fields) !== e.fields) failures.push(`${where}: fields differ`);
        const versions = await v.recordVersions(e.id);
        if (versions.length !== e.version) failures.push(`${where}: ${versions.length} versions, expected ${e.version}`);
        records += 1;
        for (const f of e.files) {
          const got = await sha256Of(await v.openFile(e.id, f.fileId));
          if (got !== f.sha256) failures.push(`${where}: a file's SHA-256 differs`);
          files += 1;
        }
      } catch (err) {
        failures.push(`${where}: ${describe(err)}`);
      }
    }
    if (s.team.members.includes(who)) {
      const where = `team testimony read by account ${who}`;
      try {
        const r = await v.teams.readRecord(s.team.id, s.team.recordId);
        if (JSON.stringify(r.fields) !== s.team.fields) failures.push(`${where}: fields differ`);
        if (r.caseId !== s.team.caseId) failures.push(`${where}: in another case`);
        const members = (await v.teams.info(s.team.id)).members.length;
        if (members !== s.team.members.length) failures.push(`${where}: the team has ${members} members, expected ${s.team.members.length}`);
        records += 1;
      } catch (err) {
        failures.push(`${where}: ${describe(err)}`);
      }
    }
    await v.logout().catch(() => {});
  }
  return { records, files, failures };
}

const describe = (err: unknown) => {
  const e = err as { name?: string; code?: string; status?: number };
  return [e.name ?? 'Error', e.code, e.status].filter((x) => x !== undefined).join(' ');
};
