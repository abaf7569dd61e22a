import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { buildApp } from '../server/src/app.ts';
import { kyselyFor } from '../server/src/db/connect.ts';
import { build, handle, testClient } from './helper.ts';

t.test('pre-login for an unknown handle is stable and shaped like a real answer', async (t) => {
  const server = await build(t);
  const real = handle('real');
  await Vault.register({ server: server.url, handle: real, passphrase: 'p', kdf: { opsLimit: 3, memLimit: 256 * 1024 * 1024 }, kdfFloor: testClient.kdfFloor });

  const ask = async (h: string) => {
    const res = await fetch(`${server.url}/v1/auth/prelogin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: h }) });
    t.equal(res.status, 200);
    return (await res.json()) as { kdf: Record<string, unknown> };
  };
  const ghost1 = await ask('ghost-handle');
  const ghost2 = await ask('ghost-handle');
  const other = await ask('another-ghost');
  const realAnswer = await ask(real);

  t.same(ghost1, ghost2, 'the same unknown handle gets the same answer');
  t.not(ghost1.kdf.salt, other.kdf.salt, 'different unknown handles get different salts');
  t.same(Object.keys(ghost1.kdf).sort(), Object.keys(realAnswer.kdf).sort(), 'same fields');
  for (const key of ['algorithm', 'opsLimit', 'memLimit']) t.equal(ghost1.kdf[key], realAnswer.kdf[key], `same ${key}`);
  t.equal(String(ghost1.kdf.salt).length, String(realAnswer.kdf.salt).length, 'same salt length');

  // Stable across restarts and instances: the secret lives in the database, so another
  // server on the same database gives the same made-up answer.
  const otherDb = kyselyFor(server.database.url, 1);
  const secondApp = await buildApp({ config: server.config, db: otherDb });
  t.teardown(async () => {
    await secondApp.close();
    await otherDb.destroy();
  });
  const fromOther = await secondApp.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { handle: 'ghost-handle' } });
  t.same(fromOther.json(), ghost1, 'another instance on the same database answers the same');
  const row = await server.db.selectFrom('server_secrets').select('name').execute();
  t.same(row.map((r) => r.name), ['prelogin-salt'], 'one secret, stored once');
});
