import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { ApiError, MemoryStateStore, Vault } from '@testimony-vault/client';
import { MIN_CHUNK_SIZE, STREAM_HEADER_BYTES, WRAPPED_FILE_KEY_BYTES } from '@testimony-vault/protocol';
import { build, capturingFetch, handle, testClient, type TestServer } from './helper.ts';

// The state the authorization matrix (test/authz-matrix.test.ts) runs against: an owner with
// a record, an attached file and an unfinished upload, and six other callers, all made
// through the client library as a person would make them.

export const CALLERS = ['anonymous', 'owner', 'reviewer', 'revoked', 'expired', 'other', 'admin'] as const;
export type CallerName = (typeof CALLERS)[number];
export type SignedIn = Exclude<CallerName, 'anonymous'>;

type Json = Record<string, unknown>;
export interface Req { path: string; json?: unknown; bytes?: Buffer }
export interface Answer { status: number; code: string; text: string }

const DRY_RUN = 'AUTHZ_DRY_RUN';

/**
 * A fetch for a Vault that can hold back one request: the request is recorded instead of
 * sent, and the client sees a 418. This is how a cell gets a well-formed, correctly signed
 * body made by the real client, and then sends it itself as whichever caller it tests.
 */
class Trap {
  private armed: { method: string; path: RegExp; caught?: { path: string; body: string } } | undefined;
  constructor(private readonly inner: typeof fetch) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const a = this.armed;
    const path = new URL(String(input)).pathname;
    if (a && !a.caught && (init?.method ?? 'GET') === a.method && a.path.test(path)) {
      a.caught = { path, body: typeof init?.body === 'string' ? init.body : '' };
      return Response.json({ statusCode: 418, code: DRY_RUN, message: 'held back by the test' }, { status: 418 });
    }
    return this.inner(input, init);
  };

  /** Runs `action`, holding back its first `method path` request; returns what it would have sent. */
  async hold(method: string, path: RegExp, action: () => Promise<unknown>): Promise<{ path: string; body: string }> {
    const armed: NonNullable<Trap['armed']> = { method, path };
    this.armed = armed;
    try {
      await action().catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === DRY_RUN)) throw err;
      });
      if (!armed.caught) throw new Error(`${method} ${path} was never sent`);
      return armed.caught;
    } finally {
      this.armed = undefined;
    }
  }
}

export interface Person {
  handle: string;
  id: string;
  vault: Vault;
  /** The session the Vault uses. */
  token: string;
  /** The body its client registered with (login key, wrapped master key, recovery auth key). */
  registered: Json;
  /** The body its client logged in with: replayed to open more sessions. */
  login: Json;
  trap: Trap;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const CHUNK = MIN_CHUNK_SIZE;

export class World {
  private constructor(
    readonly server: TestServer,
    readonly people: Record<SignedIn, Person>,
    /** An account no row is about: the one logged in, recovered and pinned by the auth and contact rows. */
    readonly spare: Person,
    /** The owner's record (shared with reviewer; revoked for revoked; expired for expired), its file and an unfinished upload. */
    readonly record: string,
    readonly file: string,
    readonly upload: string,
  ) {}

  get owner(): Person {
    return this.people.owner;
  }

  static async create(t: Parameters<typeof build>[0]): Promise<World> {
    const server = await build(t);
    const person = (prefix: string) => register(server, prefix);
    // The first account registered is the administrator (README, REGISTRATION).
    const admin = await person('admin');
    const owner = await person('owner');
    const [reviewer, revoked, expired, other, spare] = [await person('reviewer'), await person('revoked'), await person('expired'), await person('other'), await person('spare')];

    const { id: record } = await owner.vault.createRecord({ title: 'testimony of R.', narrative: 'crossed at night' });
    const { fileId: file } = await owner.vault.attachFile(record, randomBytes(CHUNK + 5), { name: 'photo.jpg', type: 'image/jpeg', chunkSize: CHUNK });
    // An upload the client started and never completed: its completion is held back.
    const held = await owner.trap.hold('POST', /^\/v1\/files\/[^/]+\/complete$/, () =>
      owner.vault.attachFile(record, randomBytes(CHUNK + 9), { name: 'video.mp4', type: 'video/mp4', chunkSize: CHUNK }),
    );
    const upload = held.path.split('/')[3]!;

    await owner.vault.share(record, reviewer.handle);
    await owner.vault.share(record, revoked.handle);
    await revoked.vault.getRecord(record);
    await owner.vault.revoke(record, revoked.handle);
    // A real expiry, signed by the owner and passed: the client refuses a past expiry, and
    // editing grants.expires_at in the database would break the grant's signature (the
    // owner's client then judges rotations by the signed expiry, not the server's).
    // 6 s: on a loaded machine the share and the read below took longer than 1.5 s.
    const expiresAt = new Date(Date.now() + 6000);
    await owner.vault.share(record, expired.handle, { expiresAt });
    await expired.vault.getRecord(record);
    await reviewer.vault.getRecord(record);
    // Everyone has a contact list, and the owner has pinned every grantee the rows name.
    await owner.vault.lookupUser(other.handle);
    for (const p of [admin, other]) await p.vault.lookupUser(owner.handle);
    await sleep(expiresAt.getTime() - Date.now() + 200);

    const people = { owner, reviewer, revoked, expired, other, admin };
    return new World(server, people, spare, record, file, upload);
  }

  tokenOf(caller: CallerName): string | undefined {
    return caller === 'anonymous' ? undefined : this.people[caller].token;
  }

  async send(method: string, req: Req, token: string | undefined): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | null = null;
    if (req.bytes) {
      headers['content-type'] = 'application/octet-stream';
      body = new Uint8Array(req.bytes);
    } else if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    const res = await fetch(this.server.url + req.path, { method, headers, body });
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, code: json ? ((JSON.parse(text) as { code?: string }).code ?? '') : '', text };
  }

  /** Another session of this person (a replayed login). */
  async freshSession(p: Person): Promise<{ token: string; id: string }> {
    const res = await this.send('POST', { path: '/v1/auth/login', json: p.login }, undefined);
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.code}`);
    const { token, sessionId } = JSON.parse(res.text) as { token: string; sessionId: string };
    return { token, id: sessionId };
  }

  /** A new record of the owner's, for a cell whose success would change the shared state. */
  async freshRecord(): Promise<string> {
    return (await this.owner.vault.createRecord({ title: 'another testimony', narrative: 'spare' })).id;
  }

  /** A new unfinished upload of the owner's, in a new record. */
  async freshUpload(): Promise<string> {
    const record = await this.freshRecord();
    const body = this.uploadBody();
    const res = await this.send('POST', { path: `/v1/records/${record}/files`, json: body }, this.owner.token);
    if (res.status !== 201) throw new Error(`upload not started: ${res.status} ${res.code}`);
    return body.fileId;
  }

  /** What a caller's own client would send as its next `method path` (held back, not sent). */
  async dryRun(p: Person, method: string, path: RegExp, action: (v: Vault) => Promise<unknown>): Promise<Json> {
    return JSON.parse((await p.trap.hold(method, path, () => action(p.vault))).body) as Json;
  }

  /** A body that starts an upload: the server stores header and wrapped key as opaque bytes. */
  uploadBody() {
    return { fileId: randomUUID(), chunkSize: CHUNK, partChunks: 1, header: b64(randomBytes(STREAM_HEADER_BYTES)), wrappedKey: b64(randomBytes(WRAPPED_FILE_KEY_BYTES)) };
  }

  /** What a new person's client sends to register (held back, so each cell registers its own). */
  async registration(): Promise<Json> {
    const trap = new Trap(fetch);
    const held = await trap.hold('POST', /^\/v1\/auth\/register$/, () => Vault.register({ server: this.server.url, handle: handle('new'), passphrase: 'p', fetch: trap.fetch, ...testClient }));
    return JSON.parse(held.body) as Json;
  }

  /** The completion body that matches what an upload holds: it would complete it. */
  async completion(fileId: string): Promise<{ totalChunks: number; encryptedSize: number }> {
    const row = await this.server.db.selectFrom('files').select('stored_bytes').where('id', '=', fileId).executeTakeFirstOrThrow();
    const chunks = await this.server.db.selectFrom('file_chunks').select('idx').where('file_id', '=', fileId).execute();
    return { totalChunks: chunks.length, encryptedSize: Number(row.stored_bytes) };
  }

  /**
   * The database outside the audit log, as one digest: a refused request (and a read) must
   * leave it as it was. Sessions are compared without their "last used" time, which a read
   * may touch.
   */
  async snapshot(): Promise<string> {
    const whole = (table: string) => sql`(select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from ${sql.table(table)} t)`;
    const { rows } = await sql<Record<string, string>>`select
      ${whole('accounts')} as accounts, ${whole('invites')} as invites, ${whole('records')} as records,
      ${whole('record_versions')} as versions, ${whole('record_keys')} as keys, ${whole('files')} as files,
      ${whole('contact_lists')} as contacts, ${whole('grants')} as grants,
      ${whole('team_statements')} as team_statements, ${whole('team_keys')} as team_keys, ${whole('team_case_keys')} as team_case_keys,
      ${whole('team_share_keys')} as team_share_keys, ${whole('team_records')} as team_records, ${whole('team_record_versions')} as team_versions,
      (select md5(coalesce(string_agg(file_id || ':' || idx || ':' || md5(data), ',' order by file_id, idx), '')) from file_chunks) as chunks,
      (select md5(coalesce(string_agg(id || ':' || account_id || ':' || expires_at, ',' order by id), '')) from sessions) as sessions`.execute(this.server.db);
    return JSON.stringify(rows[0]);
  }
}

async function register(server: TestServer, prefix: string): Promise<Person> {
  const capture = capturingFetch();
  const trap = new Trap(capture.fetch);
  const h = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', fetch: trap.fetch, state: new MemoryStateStore(), ...testClient });
  const row = await server.db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow();
  const sent = (path: string) => JSON.parse(capture.requests.find((r) => r.path === path)!.body) as Json;
  return { handle: h, id: row.id, vault, token: capture.tokens[0]!, registered: sent('/v1/auth/register'), login: sent('/v1/auth/login'), trap };
}
