// The backup procedure of docs/BACKUP.md, end to end: a vault with accounts, records of
// several versions, files, grants (live and revoked), a deleted record and audit events is
// backed up (PostgreSQL: pg_dump -Fc while the server runs; embedded: the data folder,
// server stopped, and the log key kept apart), restored into a fresh database, and served
// again with the same log key. The clients that used it before verify everything against
// what they verified before the backup. And the two ways a restore goes wrong are seen to be
// caught: a client that verified a newer checkpoint than the backup holds sees the log go
// back, and a restore served with another log key is refused.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import { ApiError, AuditLogError, MemoryStateStore, RollbackError, Vault, toNodeReadable, type VaultRecord } from '@testimony-vault/client/node';
import { buildApp } from '../server/src/app.ts';
import { configWith, type Config } from '../server/src/config.ts';
import { openDatabase } from '../server/src/db/connect.ts';
import { migrateToLatest } from '../server/src/db/migrate.ts';
import type { Database } from '../server/src/db/schema.ts';
import { handle, migratedTemplate, TEST_KDF, testClient, testDatabase } from './helper.ts';
import { halfWritten, rowCounts } from './stored-state.ts';

const run = promisify(execFile);
const CHUNK = 64 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const postgres = Boolean(process.env.DATABASE_URL);

const work = await mkdtemp(path.join(tmpdir(), 'tvault-backup-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const settings = (extra: Partial<Config>) =>
  configWith({ REGISTRATION: 'open', KDF_MIN_OPS: TEST_KDF.opsLimit, KDF_MIN_MEM_BYTES: TEST_KDF.memLimit, AUTH_RATE_LIMIT_MAX: 1000, ...extra });

interface Served {
  url: string;
  db: Kysely<Database>;
  stop(): Promise<void>;
}

/** What server.ts does: open the database, migrate, listen; stop() is its SIGTERM path. */
async function serve(config: Config): Promise<Served> {
  const database = await openDatabase(config);
  await migrateToLatest(database.db);
  const app = await buildApp({ config, db: database.db });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await database.close();
  };
  t.teardown(stop);
  return { url, db: database.db, stop };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of toNodeReadable(stream)) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** A record as a client sees it, every version, for comparing before and after. */
const summary = (versions: VaultRecord[]) =>
  versions.map((v) => ({ version: v.version, keyVersion: v.keyVersion, fields: v.fields, files: v.attachments.map((a) => [a.fileId, a.sha256]) }));

/** Why the PostgreSQL procedure cannot run here, if it cannot. */
async function missingTools(): Promise<string | false> {
  if (!postgres) return false;
  try {
    await run('pg_dump', ['--version']);
    await run('pg_restore', ['--version']);
    return false;
  } catch {
    return 'pg_dump and pg_restore are not installed: the PostgreSQL procedure cannot run here';
  }
}

/** The HTTP status a client call was refused with (200 if it was not). */
const refusal = (p: Promise<unknown>) => p.then(() => 200, (err: unknown) => (err instanceof ApiError ? err.status : -1));

const title = postgres ? 'PostgreSQL: pg_dump -Fc, pg_restore' : 'embedded: the data folder copied while stopped';
t.test(`${title} into a fresh database; every record, file, grant and the log verify through the client`, { skip: await missingTools() }, async (t) => {
  // The source vault. PostgreSQL: the log key from AUDIT_SIGNING_KEY. Embedded: the key
  // file the server creates in its data folder, as a default installation has it.
  const auditKey = randomBytes(32).toString('base64');
  const sourceDir = path.join(work, 'source');
  let sourceConfig: Config;
  if (postgres) {
    sourceConfig = settings({ DATABASE_URL: (await testDatabase(t)).url, AUDIT_SIGNING_KEY: auditKey });
  } else {
    // Seeded from the migrated template: initdb would cost several seconds.
    await mkdir(sourceDir, { mode: 0o700 });
    await (await PGlite.create(path.join(sourceDir, 'pgdata'), { loadDataDir: await migratedTemplate() })).close();
    sourceConfig = settings({ VAULT_DATA_DIR: sourceDir });
  }
  let source = await serve(sourceConfig);

  // Three people and their states (what each client verified and pinned).
  const states = { owner: new MemoryStateStore(), reviewer: new MemoryStateStore(), late: new MemoryStateStore() };
  const join = async (prefix: string, state = new MemoryStateStore()) =>
    (await Vault.register({ server: source.url, handle: handle(prefix), passphrase: 'p', state, ...testClient })).vault;
  const owner = await join('owner', states.owner);
  const reviewer = await join('lawyer', states.reviewer);
  const former = await join('former');

  const r1 = await owner.createRecord({ title: 'Testimonio de R.', narrative: 'primera versión', language: 'es', tags: ['secuestro'] });
  await owner.updateRecord(r1.id, { narrative: 'segunda versión' });
  await owner.updateRecord(r1.id, { place: 'Reynosa, Tamaulipas' });
  const photo = randomBytes(5 * 8 * CHUNK + 777); // six parts
  const f1 = await owner.attachFile(r1.id, photo, { name: 'IMG_0042.jpg', type: 'image/jpeg', chunkSize: CHUNK });
  await owner.share(r1.id, reviewer.handle);
  const r2 = await owner.createRecord({ title: 'Denuncia', narrative: 'extorsión' });
  const scan = randomBytes(3000);
  await owner.attachFile(r2.id, scan, { name: 'acta.pdf', type: 'application/pdf', chunkSize: CHUNK });
  await owner.attachFile(r2.id, new Uint8Array(0), { name: 'empty.txt', type: 'text/plain', chunkSize: CHUNK });
  await owner.share(r2.id, former.handle);
  await owner.revoke(r2.id, former.handle); // a new version under a rotated key
  const r3 = await owner.createRecord({ title: 'borrador', narrative: 'to be deleted' });
  await owner.deleteRecord(r3.id);
  const own = await reviewer.createRecord({ title: 'notas del caso', narrative: 'x' });
  t.equal(sha(await readAll(await reviewer.openFile(r1.id, f1.fileId))), sha(photo), 'before: the reviewer reads the shared file');

  // What the clients verified before the backup.
  const expected = new Map<string, ReturnType<typeof summary>>();
  for (const id of [r1.id, r2.id]) expected.set(id, summary(await owner.recordVersions(id)));
  const histories = new Map<string, number>();
  for (const id of [r1.id, r2.id]) histories.set(id, (await owner.recordHistory(id)).length);
  const ownerBefore = await owner.auditCheckpoint();
  const reviewerBefore = await reviewer.auditCheckpoint();
  const logKey = ownerBefore.verifierKey;

  // The backup.
  const backupDir = path.join(work, 'backup');
  await mkdir(backupDir);
  const countsAtBackup = await rowCounts(source.db);
  const started = Date.now();
  if (postgres) {
    await run('pg_dump', ['--format=custom', `--file=${path.join(backupDir, 'vault.dump')}`, `--dbname=${sourceConfig.DATABASE_URL!}`]);
  } else {
    await source.stop();
    await run('tar', ['-C', sourceDir, '-cf', path.join(backupDir, 'pgdata.tar'), 'pgdata']);
    await copyFile(path.join(sourceDir, 'audit-log.key'), path.join(backupDir, 'audit-log.key')); // kept apart from the database copy
    source = await serve(sourceConfig);
  }
  const backupMs = Date.now() - started;

  // Life goes on after the backup: another device of the owner writes and verifies a newer checkpoint.
  const late = await Vault.login({ server: source.url, handle: owner.handle, passphrase: 'p', state: states.late, ...testClient });
  await late.updateRecord(r1.id, { narrative: 'written after the backup' });
  const lateCheckpoint = await late.auditCheckpoint();
  await source.stop();

  // The restore, into a fresh database.
  const restoreStarted = Date.now();
  let restoredConfig: Config;
  if (postgres) {
    const fresh = await testDatabase(t, { migrate: false });
    await run('pg_restore', ['--exit-on-error', '--single-transaction', '--no-owner', '--no-privileges', `--dbname=${fresh.url}`, path.join(backupDir, 'vault.dump')]);
    restoredConfig = settings({ DATABASE_URL: fresh.url, AUDIT_SIGNING_KEY: auditKey });
  } else {
    const restoredDir = path.join(work, 'restored');
    await mkdir(restoredDir, { mode: 0o700 });
    await run('tar', ['-C', restoredDir, '-xf', path.join(backupDir, 'pgdata.tar')]);
    await copyFile(path.join(backupDir, 'audit-log.key'), path.join(restoredDir, 'audit-log.key'));
    restoredConfig = settings({ VAULT_DATA_DIR: restoredDir });
  }
  const restored = await serve(restoredConfig);
  const restoreMs = Date.now() - restoreStarted;
  t.same(await rowCounts(restored.db), countsAtBackup, 'the restored database holds as many rows of each table as the source at the backup');
  t.same(await halfWritten(restored.db), [], 'nothing half-written in the restored database');

  // The owner's client, with the state it had before the backup and the log key it pinned.
  const connect = (state: MemoryStateStore, who: Vault, server = restored.url) =>
    Vault.login({ server, handle: who.handle, passphrase: 'p', state, logKey, ...testClient });
  const owner2 = await connect(states.owner, owner);
  const cp = await owner2.auditCheckpoint();
  t.ok(cp.size >= ownerBefore.size, `the restored log (${cp.size} events) is consistent with the checkpoint of ${ownerBefore.size} verified before the backup`);
  const listed = (await owner2.listRecords()).records.map((r) => r.id).sort();
  t.same(listed, [r1.id, r2.id].sort(), "the owner's records are all there, the deleted one is not");
  for (const [id, versions] of expected) {
    t.same(summary(await owner2.recordVersions(id)), versions, `every version of a record reads and verifies as before (${versions.length})`);
    t.ok((await owner2.recordHistory(id)).length >= histories.get(id)!, "the record's history verifies (chain, inclusion, newest event seen still there)");
  }
  for (const [id, data] of [[r1.id, [photo]], [r2.id, [scan, new Uint8Array(0)]]] as const) {
    const { attachments } = await owner2.getRecord(id);
    t.same(attachments.map((a) => a.sha256), data.map((d) => sha(d)), 'the manifest lists the files with their SHA-256 at intake');
    for (const a of attachments) t.equal(sha(await readAll(await owner2.openFile(id, a.fileId))), a.sha256, `${a.name} downloads byte-identical`);
  }
  const grants1 = await owner2.grants(r1.id);
  const grants2 = await owner2.grants(r2.id);
  t.same(grants1.map((g) => [g.handle, g.status]), [[reviewer.handle, 'live']], 'the live grant is live');
  t.same(grants2.map((g) => [g.handle, g.status]), [[former.handle, 'revoked']], 'the revoked grant stays revoked');
  t.equal(await refusal(owner2.getRecord(r3.id)), 404, 'the deleted record stays deleted');

  // The reviewer still reads what was granted, and only that.
  const reviewer2 = await connect(states.reviewer, reviewer);
  t.same((await reviewer2.sharedWithMe()).map((s) => s.recordId), [r1.id], 'the reviewer sees the record shared with them');
  t.equal(sha(await readAll(await reviewer2.openFile(r1.id, f1.fileId))), sha(photo), 'and reads its file');
  t.equal((await reviewer2.getRecord(own.id)).fields.title, 'notas del caso', "and their own record");
  t.ok((await reviewer2.auditCheckpoint()).size >= reviewerBefore.size, "the reviewer's checkpoint is consistent too");
  const former2 = await Vault.login({ server: restored.url, handle: former.handle, passphrase: 'p', logKey, ...testClient });
  t.equal(await refusal(former2.getRecord(r2.id)), 404, 'the revoked reviewer is still refused');

  // A client that verified a newer checkpoint than the backup holds sees the log go back.
  const late2 = await connect(states.late, late);
  await t.rejects(late2.auditCheckpoint(), AuditLogError, `a client that verified ${lateCheckpoint.size} events detects the log went back`);
  await t.rejects(late2.getRecord(r1.id), RollbackError, 'and the record version it wrote after the backup missing');

  // Served with another log key (the key file not restored: the server makes a new one), every client refuses the log.
  const wrongKey = await buildApp({ config: { ...restoredConfig, AUDIT_SIGNING_KEY: randomBytes(32).toString('base64') }, db: restored.db });
  t.teardown(() => wrongKey.close());
  const wrongUrl = await wrongKey.listen({ host: '127.0.0.1', port: 0 });
  const owner3 = await connect(states.owner, owner, wrongUrl);
  await t.rejects(owner3.auditCheckpoint(), AuditLogError, 'a restore served with another log key is refused');

  t.comment(
    `${postgres ? 'pg_dump' : 'stop + tar'} ${backupMs} ms, restore + start ${restoreMs} ms; ` +
      `${countsAtBackup.audit_events} audit events, ${countsAtBackup.file_chunks} file chunks, ${countsAtBackup.record_versions} record versions restored`,
  );
});
