// The server killed with SIGKILL in the middle of uploads and writes (docs/RELIABILITY.md
// "Faults"), then started again on the same database and log key. In embedded mode the
// database dies with the process, so PGlite must recover its data folder. Clients carry on:
// an upload resumes from another process (resumeUpload) and another keeps retrying through
// the restart on its own; both files come back byte-identical. Every version a client saw
// acknowledged is stored, none is stored that no request wrote, nothing is half-written,
// and the checkpoint a client verified before the crash is consistent with the new one.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import { NetworkError, Vault, toNodeReadable, verifyExport } from '@testimony-vault/client/node';
import { EMBEDDED_POOL_MAX, kyselyFor } from '../server/src/db/connect.ts';
import { startEmbedded } from '../server/src/db/embedded.ts';
import type { Database } from '../server/src/db/schema.ts';
import { handle, migratedTemplate, recordingFetch, testClient, testDatabase } from './helper.ts';
import { halfWritten } from './stored-state.ts';
import { freePort, startVault } from './vault-process.ts';

const CHUNK = 64 * 1024; // the smallest chunk: many parts (8 chunks each), so the kill lands mid-file
const FILE_BYTES = 6 * 1024 * 1024 + 4321; // 13 parts
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const postgres = process.env.DATABASE_URL ? await testDatabase(t) : undefined;
const dataDir = await mkdtemp(path.join(tmpdir(), 'tvault-kill-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));
if (!postgres) {
  // The embedded data folder starts as a copy of the migrated template: the server's own
  // initdb would take several seconds more (the restart, which matters here, does not).
  const pglite = await PGlite.create(path.join(dataDir, 'pgdata'), { loadDataDir: await migratedTemplate() });
  await pglite.close();
}
const env = {
  ...(postgres ? { DATABASE_URL: postgres.url } : { VAULT_DATA_DIR: dataDir }),
  AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
};

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of toNodeReadable(stream)) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

t.test('SIGKILL in the middle of uploads and writes: restart, resume, nothing lost, nothing half-written, the log consistent', async (t) => {
  const port = await freePort();
  let server = await startVault(t, env, port);
  const url = server.url;

  // Two accounts write versions of their records in a loop; each POST …/versions is noted
  // with the version it tried to write, and whether it was acknowledged.
  const attempts: { recordId: string; version: number; acked: boolean }[] = [];
  const noting: typeof fetch = async (input, init) => {
    const m = /\/v1\/records\/([0-9a-f-]{36})\/versions$/.exec(String(input));
    const attempt = m && init?.method === 'POST' ? { recordId: m[1]!, version: (JSON.parse(String(init.body)) as { version: number }).version, acked: false } : undefined;
    if (attempt) attempts.push(attempt);
    const res = await fetch(input, init);
    if (attempt) attempt.acked = res.ok;
    return res;
  };
  const writers = await Promise.all([1, 2].map(async () => (await Vault.register({ server: url, handle: handle('kill'), passphrase: 'p', fetch: noting, ...testClient })).vault));
  const written = await Promise.all(writers.map((w) => w.createRecord({ title: 'written through a crash', narrative: 'v1' })));
  const acked = new Map<string, number[]>(written.map((r) => [r.id, [1]]));
  const writeErrors: unknown[] = [];
  let stop = false;
  const loops = writers.map(async (w, i) => {
    const id = written[i]!.id;
    while (!stop) {
      try {
        acked.get(id)!.push((await w.updateRecord(id, { narrative: `at ${Date.now()}` })).version);
      } catch (err) {
        writeErrors.push(err);
        await pause(100);
      }
    }
  });
  while ([...acked.values()].some((v) => v.length < 4)) await pause(20);

  // The owner uploads two files into one record: the first gives up at the first failure
  // (its process "dies"; another resumes it later), the second retries on its own.
  const { vault: owner } = await Vault.register({ server: url, handle: handle('owner'), passphrase: 'p', ...testClient });
  const { id: recordId } = await owner.createRecord({ title: 'evidence', narrative: 'two videos' });
  const files = [randomBytes(FILE_BYTES), randomBytes(FILE_BYTES)];
  const firstId = randomUUID();
  let killAt = 0;
  let killed!: () => void;
  const kill = new Promise<void>((resolve) => (killed = resolve));
  const first = owner
    .attachFile(recordId, files[0]!, {
      name: 'first.mp4', type: 'video/mp4', chunkSize: CHUNK, fileId: firstId, maxRetries: 0,
      onProgress: ({ bytes }) => {
        if (!killAt && bytes >= FILE_BYTES / 3) {
          killAt = bytes;
          killed();
        }
      },
    })
    .then(() => 'finished' as const, (err: unknown) => err);
  // Backoff is capped at 5 s: 12 retries wait about 40 s in all, more than a restart takes
  // on a loaded two-core machine (about 10 s for the embedded database).
  const second = owner.attachFile(recordId, files[1]!, { name: 'second.mp4', type: 'video/mp4', chunkSize: CHUNK, maxRetries: 12 });

  await kill;
  // The checkpoint the owner verifies last before the crash: events keep being appended after it.
  const before = await owner.auditCheckpoint();
  server.child.kill('SIGKILL');
  t.equal(await server.exited, 'SIGKILL', 'the server died of SIGKILL');
  const ackedAtKill = [...acked.values()].reduce((n, v) => n + v.length, 0);
  const killedAt = Date.now();
  t.ok(killAt < FILE_BYTES, `killed with ${(killAt / 2 ** 20).toFixed(1)} of ${(FILE_BYTES / 2 ** 20).toFixed(1)} MiB acknowledged`);

  const firstOutcome = await first;
  t.ok(firstOutcome instanceof NetworkError, `the first upload failed with the server gone (${String(firstOutcome)})`);

  server = await startVault(t, env, port);
  const restartMs = Date.now() - killedAt;
  t.equal(server.url, url, 'the new process listens where the clients point');

  // Another "process" of the owner resumes the first upload: only the parts the server lacks travel.
  const rec = recordingFetch();
  const again = await Vault.login({ server: url, handle: owner.handle, passphrase: 'p', fetch: rec.fetch, ...testClient });
  const resumed = await again.resumeUpload(recordId, firstId, files[0]!, { name: 'first.mp4', type: 'video/mp4' });
  t.equal(resumed.sha256, sha(files[0]!), 'the resumed upload hashed the same bytes');
  const parts = Math.ceil(Math.ceil(FILE_BYTES / CHUNK) / 8);
  const sent = rec.calls.filter((c) => c.method === 'PUT').length;
  t.ok(sent > 0 && sent < parts, `the resume sent ${sent} of ${parts} parts`);
  const secondResult = await second;
  t.equal(secondResult.sha256, sha(files[1]!), 'the upload that retried by itself finished');

  await pause(500);
  stop = true;
  await Promise.all(loops);
  const ackedTotal = [...acked.values()].reduce((n, v) => n + v.length, 0);
  t.ok(ackedTotal > ackedAtKill, `writes are acknowledged after the restart (${ackedTotal - ackedAtKill} more)`);
  t.ok(writeErrors.every((e) => e instanceof NetworkError || (e instanceof Error && 'status' in e && e.status === 503)), 'writes failed only as unreachable or not ready');

  // Both files, byte-identical, from the signed manifest.
  const record = await owner.getRecord(recordId);
  t.same(record.attachments.map((a) => a.name).sort(), ['first.mp4', 'second.mp4'], 'both files are in the manifest');
  for (const [i, a] of [...record.attachments].sort((x, y) => x.name.localeCompare(y.name)).entries()) {
    t.equal(sha(await readAll(await owner.openFile(recordId, a.fileId))), sha(files[i]!), `${a.name} downloads byte-identical (SHA-256)`);
  }

  // Versions: acknowledged ⊆ stored ⊆ acknowledged ∪ in flight; all verify.
  for (const [i, w] of writers.entries()) {
    const id = written[i]!.id;
    const stored = (await w.recordVersions(id)).map((v) => v.version);
    const mine = acked.get(id)!;
    t.same(mine.filter((v) => !stored.includes(v)), [], `writer ${i}: all ${mine.length} acknowledged versions are stored and verify`);
    const tried = new Set(attempts.filter((a) => a.recordId === id).map((a) => a.version));
    const stray = stored.filter((v) => v !== 1 && !tried.has(v));
    t.same(stray, [], `writer ${i}: every stored version was written by a request (${stored.length - mine.length} committed unacknowledged)`);
    t.ok((await w.recordHistory(id)).length >= stored.length, `writer ${i}: the record's history verifies, chain and inclusion`);
  }

  // The log: consistent with what the owner verified before the crash, the histories whole.
  const after = await owner.auditCheckpoint();
  t.ok(after.size > before.size, `checkpoint of ${after.size} events consistent with the ${before.size} verified before the crash`);
  const history = await owner.recordHistory(recordId);
  t.ok(history.some((e) => e.action === 'file.upload'), "the evidence record's history verifies and shows the uploads");
  await verifyExport(await owner.exportHistory(recordId));
  t.pass('its export verifies offline');

  // The database, looked at directly: nothing half-written.
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0, 'the restarted server stops cleanly');
  let db: Kysely<Database>;
  if (postgres) db = postgres.db;
  else {
    const embedded = await startEmbedded(dataDir, 2);
    t.teardown(() => embedded.close());
    db = kyselyFor(embedded.connectionString, EMBEDDED_POOL_MAX);
    t.teardown(() => db.destroy());
  }
  t.same(await halfWritten(db), [], 'no record without its versions, no complete file missing a chunk, no gap in the log');
  const open = await db.selectFrom('files').select('id').where('completed_at', 'is', null).execute();
  t.same(open, [], 'no upload left incomplete');
  t.comment(
    `killed at ${(killAt / 2 ** 20).toFixed(1)} MiB of the first file; back in ${restartMs} ms; resume sent ${sent}/${parts} parts; ` +
      `${ackedTotal} versions acknowledged, ${writeErrors.length} writes failed; checkpoint ${before.size} → ${after.size}`,
  );
});
