import t from 'tap';
import { AuditLogError, MemoryStateStore, Vault, verifyExport } from '@testimony-vault/client';
import { decodeAuditEvent, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { storedMultiLeafProof } from '../server/src/audit/proofs.ts';
import { build, handle, testClient } from './helper.ts';

// A hostile server hides the newest accesses to a record: it ends a history early (the
// events after the last one a client had verified), by rewriting its answers or by editing
// its database. Every access a client knows of (its own, or one it was shown) must stay,
// or the client says so (docs/PROTOCOL.md "Events told to the client").

const server = await build(t);
const db = server.db;

/** The server's answers, as a hostile operator rewrites them. */
interface Hostile {
  /** Leaves out of every history answer the events at these log indices. */
  hide: Set<number>;
  /** Rewrites the Audit-Events header of an answer (null: leave it out). */
  told?: ((path: string, value: string | null) => string | null) | undefined;
  /** Answers GET /v1/audit/checkpoint with this signed note instead of the current one. */
  checkpoint?: string;
  /** Every checkpoint note the server answered. */
  notes: string[];
}

function hostileFetch(h: Hostile): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const res = await fetch(input, init);
    if (!res.ok) return res;
    const headers = new Headers(res.headers);
    if (url.pathname === '/v1/audit/checkpoint') {
      const body = (await res.json()) as { checkpoint: string };
      h.notes.push(body.checkpoint);
      return Response.json({ checkpoint: h.checkpoint ?? body.checkpoint }, { headers });
    }
    if (/^\/v1\/records\/[^/]+\/history$/.test(url.pathname)) {
      const body = (await res.json()) as { size: number; events: { leaf: string }[]; proof: string[] };
      body.events = body.events.filter((e) => !h.hide.has(decodeAuditEvent(fromBase64Url(e.leaf)).index));
      // The page's proof made anew for what is left, as a hostile server would: only what
      // the client knew of can catch it.
      const indices = body.events.map((e) => decodeAuditEvent(fromBase64Url(e.leaf)).index);
      body.proof = indices.length === 0 ? [] : (await storedMultiLeafProof(db, indices, body.size)).map(toBase64Url);
      return Response.json(body, { headers });
    }
    if (h.told) {
      const value = h.told(url.pathname, headers.get('audit-events'));
      if (value === null) headers.delete('audit-events');
      else headers.set('audit-events', value);
      return new Response(res.body, { status: res.status, headers });
    }
    return res;
  };
}

async function person(prefix: string, h: Hostile = { hide: new Set(), notes: [] }, state = new MemoryStateStore()) {
  const name = handle(prefix);
  const { vault } = await Vault.register({ server: server.url, handle: name, passphrase: 'p', state, fetch: hostileFetch(h), ...testClient });
  return { vault, h, state, handle: name };
}

/** A record its owner shared with a reviewer. */
async function sharedRecord() {
  const owner = await person('own');
  const reviewer = await person('lawyer');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.share(id, reviewer.handle);
  return { owner, reviewer, id };
}

/** The log index of the newest event about a record, as the database holds it. */
async function newestIndex(recordId: string): Promise<number> {
  const row = await db.selectFrom('audit_events').select('idx').where('record_id', '=', recordId).orderBy('idx', 'desc').executeTakeFirstOrThrow();
  return Number(row.idx);
}

t.test("the owner's own newest read, left out of the history answer, is caught", async (t) => {
  const owner = await person('own');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.recordHistory(id); // verified: create, read
  await owner.vault.getRecord(id); // the access the server will hide
  const read = await newestIndex(id);
  owner.h.hide.add(read);
  await t.rejects(owner.vault.recordHistory(id), AuditLogError, 'recordHistory refuses the shortened history');
  await t.rejects(owner.vault.exportHistory(id), AuditLogError, 'exportHistory refuses it too');
  owner.h.hide.clear();
  const events = await owner.vault.recordHistory(id);
  t.equal(events[events.length - 1]!.index, read, 'the honest answer passes and ends with that read');
});

t.test('a read hidden by editing the database, with the next checkpoint grown past it, is caught', async (t) => {
  const owner = await person('own');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.recordHistory(id);
  await owner.vault.getRecord(id);
  // The operator takes the read out of the record's events (its leaf stays in the tree).
  await db.updateTable('audit_events').set({ record_id: null }).where('idx', '=', await newestIndex(id)).execute();
  await (await person('other')).vault.createRecord({ title: 'later', narrative: 'events' });
  await t.rejects(owner.vault.recordHistory(id), AuditLogError);
});

t.test('the memory survives a new login on the same device (state store); a new device has none', async (t) => {
  const first = await person('own');
  const { id } = await first.vault.createRecord({ title: 't', narrative: 'n' });
  await first.vault.getRecord(id); // never shown to this device in a history
  const hidden = await newestIndex(id);
  await (await person('other')).vault.createRecord({ title: 'later', narrative: 'events' });
  // The operator deletes the read's row before the next append, which then links past it.
  await db.deleteFrom('audit_events').where('idx', '=', hidden).execute();
  const login = (state: MemoryStateStore) => Vault.login({ server: server.url, handle: first.handle, passphrase: 'p', state, ...testClient });
  const again = await login(first.state);
  await again.getRecord(id);
  await t.rejects(again.recordHistory(id), AuditLogError, 'the read of the session before is still required');
  const elsewhere = await login(new MemoryStateStore());
  await elsewhere.getRecord(id);
  t.notOk((await elsewhere.recordHistory(id)).some((e) => e.index === hidden), 'a device that never knew of the read cannot tell (the residue)');
});

t.test("a reviewer's own read, hidden from the reviewer's history, is caught", async (t) => {
  const { reviewer, id } = await sharedRecord();
  await reviewer.vault.getRecord(id);
  const first = await newestIndex(id);
  t.same((await reviewer.vault.recordHistory(id)).map((e) => e.index), [first], 'the reviewer sees its read');
  await reviewer.vault.getRecord(id);
  const second = await newestIndex(id);
  reviewer.h.hide.add(second);
  await t.rejects(reviewer.vault.recordHistory(id), AuditLogError, 'its newest read left out');
  reviewer.h.hide = new Set([first, second]);
  await t.rejects(reviewer.vault.recordHistory(id), AuditLogError, 'both reads left out, including one it was shown');
  reviewer.h.hide.clear();
  t.same((await reviewer.vault.recordHistory(id)).map((e) => e.index), [first, second]);
});

t.test("a reviewer's read the owner has seen before, then hidden, is caught", async (t) => {
  const { owner, reviewer, id } = await sharedRecord();
  await reviewer.vault.getRecord(id);
  const read = await newestIndex(id);
  const seen = await owner.vault.recordHistory(id);
  t.equal(seen[seen.length - 1]!.actor, reviewer.handle, "the owner is shown the reviewer's read");
  owner.h.hide.add(read);
  await t.rejects(owner.vault.recordHistory(id), AuditLogError);
  await t.rejects(owner.vault.exportHistory(id), AuditLogError);
});

t.test("a reviewer's read the owner never saw, followed by the owner's own access: hiding both is caught", async (t) => {
  const { owner, reviewer, id } = await sharedRecord();
  await owner.vault.recordHistory(id);
  await reviewer.vault.getRecord(id);
  const read = await newestIndex(id);
  await owner.vault.getRecord(id); // its event links back over the reviewer's read
  owner.h.hide = new Set([read, await newestIndex(id)]);
  await t.rejects(owner.vault.recordHistory(id), AuditLogError, 'the trailing pair left out');
  owner.h.hide = new Set([read]);
  await t.rejects(owner.vault.recordHistory(id), AuditLogError, "the reviewer's read alone left out breaks the chain");
});

t.test('an answer that does not name its event, or names an old or borrowed one, is caught', async (t) => {
  const owner = await person('own');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.recordHistory(id);
  const created = (await owner.vault.recordHistory(id))[0]!.index;
  const onRead = (f: (value: string | null) => string | null) => (path: string, value: string | null) => (path === `/v1/records/${id}` ? f(value) : value);

  owner.h.told = onRead(() => null);
  await t.rejects(owner.vault.getRecord(id), AuditLogError, 'no Audit-Events header on a record read');
  owner.h.told = onRead(() => `${created}:${id}`);
  await t.rejects(owner.vault.getRecord(id), AuditLogError, 'an index inside the log verified before the read');
  owner.h.told = onRead(() => 'x');
  await t.rejects(owner.vault.getRecord(id), AuditLogError, 'a malformed header');

  // Another account's event after the verified log, told as the owner's own read.
  const other = await person('other');
  const { id: otherId } = await other.vault.createRecord({ title: 'o', narrative: 'o' });
  const borrowed = await newestIndex(otherId);
  owner.h.told = onRead(() => `${borrowed}:${id}`);
  await owner.vault.getRecord(id);
  owner.h.told = undefined;
  owner.h.hide.add(await newestIndex(id)); // the real read (or reads) hidden
  await t.rejects(owner.vault.recordHistory(id), AuditLogError, 'the told event is not in the history');

  // The same event told for two reads.
  const twice = await person('own');
  const { id: rid } = await twice.vault.createRecord({ title: 't', narrative: 'n' });
  let first: string | null = null;
  twice.h.told = (path, value) => (path === `/v1/records/${rid}` ? (first ??= value) : value);
  await twice.vault.getRecord(rid);
  await t.rejects(twice.vault.getRecord(rid), AuditLogError, 'one index told for two reads');
});

t.test('a checkpoint older than an event the server told is caught', async (t) => {
  const owner = await person('own');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.auditCheckpoint();
  owner.h.checkpoint = owner.h.notes[owner.h.notes.length - 1]!; // the server stops growing its log for this client
  await owner.vault.getRecord(id);
  await t.rejects(owner.vault.auditCheckpoint(), AuditLogError, 'the log said to hold the read is not in the checkpoint');
  await t.rejects(owner.vault.recordHistory(id), AuditLogError);
});

t.test('the export says how far it is complete, and the claim is checked', async (t) => {
  const owner = await person('own');
  const { id } = await owner.vault.createRecord({ title: 't', narrative: 'n' });
  await owner.vault.getRecord(id);
  const read = await newestIndex(id);
  const doc = await owner.vault.exportHistory(id);
  const size = Number(doc.checkpoint.split('\n')[1]);
  t.same(doc.complete, { treeSize: size, newestKnownIndex: read }, 'up to the checkpoint, through the newest event the owner knew of');
  t.equal(verifyExport(doc).length, 2);
  t.match(doc.explanation, /complete\.newestKnownIndex/);
  t.throws(() => verifyExport({ ...doc, complete: { treeSize: size + 1, newestKnownIndex: read } }), AuditLogError, 'another tree size');
  t.throws(() => verifyExport({ ...doc, complete: { treeSize: size, newestKnownIndex: read + 1 } }), AuditLogError, 'an event it does not hold');
  const { complete: _, ...older } = doc;
  t.equal(verifyExport(older).length, 2, 'an export made before the field still verifies');
});

t.test('an honest server under concurrent reads, listings and writes raises no alarm', async (t) => {
  const owner = await person('own');
  const reviewer = await person('lawyer');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await owner.vault.createRecord({ title: `t${i}`, narrative: 'n' })).id);
  await owner.vault.share(ids[0]!, reviewer.handle);
  await Promise.all([
    ...ids.flatMap((id) => [owner.vault.getRecord(id), owner.vault.getRecord(id), owner.vault.recordHistory(id)]),
    owner.vault.listRecords(),
    owner.vault.updateRecord(ids[1]!, { place: 'x' }),
    reviewer.vault.getRecord(ids[0]!),
    reviewer.vault.recordHistory(ids[0]!),
  ]);
  for (const id of ids) {
    const events = await owner.vault.recordHistory(id);
    t.equal(events[events.length - 1]!.index, await newestIndex(id), `record ${id.slice(0, 8)}: history to its newest event`);
  }
  t.ok((await reviewer.vault.recordHistory(ids[0]!)).length >= 1);
  await owner.vault.exportHistory(ids[1]!);
});
