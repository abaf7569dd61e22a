import t from 'tap';
import { RollbackError, Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';

// [Note: rollback] judges an answer by what the client knew when it sent the request: one
// Vault reading and writing the same record at once is not a rollback; an old version
// served for a request sent after the client saw a newer one still is.

const server = await build(t);

/** A fetch that can hold back the answer to one GET of a record until told to let it go. */
function holdingFetch() {
  let hold: { gate: Promise<void>; reached: () => void } | undefined;
  let replay: { body: string } | undefined;
  let lastGet = '';
  const wrapped: typeof fetch = async (input, init) => {
    const url = String(input);
    const isRecordGet = (init?.method ?? 'GET') === 'GET' && /\/v1\/records\/[0-9a-f-]{36}$/.test(new URL(url).pathname);
    if (isRecordGet && replay) {
      const body = replay.body;
      replay = undefined;
      // A made-up event index, as the client requires one (docs/PROTOCOL.md "Events told to the client").
      const told = `${2 ** 40}:${new URL(url).pathname.split('/').pop()}`;
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'audit-events': told } });
    }
    const res = await fetch(input, init);
    if (!isRecordGet) return res;
    lastGet = await res.clone().text();
    if (hold) {
      const h = hold;
      hold = undefined;
      h.reached();
      await h.gate;
    }
    return res;
  };
  return {
    fetch: wrapped,
    holdNext() {
      let release!: () => void;
      let reached!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const arrived = new Promise<void>((r) => (reached = r));
      hold = { gate, reached };
      return { release, arrived };
    },
    replayLast() {
      replay = { body: lastGet };
    },
  };
}

t.test("a read answered with the version before this client's own concurrent write is accepted", async (t) => {
  const f = holdingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: handle('conc'), passphrase: 'p', fetch: f.fetch, ...testClient });
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'n' });
  const held = f.holdNext();
  const read = vault.getRecord(id);
  await held.arrived; // the server has answered version 1; the answer is held back
  await vault.updateRecord(id, { title: 'v2' }); // version 2 written and seen
  held.release();
  const got = await read;
  t.equal(got.version, 1, 'the older answer is accepted: it was asked for before version 2 existed');
  t.equal((await vault.getRecord(id)).version, 2, 'later reads see version 2');
});

t.test('an old version served for a request sent after a newer one was seen is still a rollback', async (t) => {
  const f = holdingFetch();
  const { vault } = await Vault.register({ server: server.url, handle: handle('conc'), passphrase: 'p', fetch: f.fetch, ...testClient });
  const { id } = await vault.createRecord({ title: 'v1', narrative: 'n' });
  await vault.getRecord(id); // version 1, remembered by the fetch
  await vault.updateRecord(id, { title: 'v2' });
  f.replayLast(); // the server replays version 1 (captured by the update's own read of it)
  await t.rejects(vault.getRecord(id), RollbackError, 'refused');
});
