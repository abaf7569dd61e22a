import t from 'tap';
import { KDF_FLOOR, Vault, WeakKdfError } from '@testimony-vault/client';
import { build, handle, recordingFetch, testClient } from './helper.ts';

// The floor is the real one here: one full-cost (256 MiB, 3 passes) registration.

t.test('a server that offers KDF parameters below the floor is refused before the login key leaves', async (t) => {
  const server = await build(t, { KDF_MIN_OPS: KDF_FLOOR.opsLimit, KDF_MIN_MEM_BYTES: KDF_FLOOR.memLimit });
  const h = handle();
  await Vault.register({ server: server.url, handle: h, passphrase: 'a long passphrase' });

  // The hostile operator lowers the stored cost so the next login key is cheap to brute-force.
  await server.db.updateTable('accounts').set({ kdf_mem_limit: 64 * 1024, kdf_ops_limit: 1 }).where('handle', '=', h).execute();

  const rec = recordingFetch();
  await t.rejects(Vault.login({ server: server.url, handle: h, passphrase: 'a long passphrase', fetch: rec.fetch }), WeakKdfError);
  t.same(rec.calls.map((c) => c.path), ['/v1/auth/prelogin'], 'no login request was made');

  // Fewer passes alone is refused too.
  await server.db.updateTable('accounts').set({ kdf_mem_limit: KDF_FLOOR.memLimit, kdf_ops_limit: 2 }).where('handle', '=', h).execute();
  await t.rejects(Vault.login({ server: server.url, handle: h, passphrase: 'a long passphrase' }), WeakKdfError);
});

t.test('the server refuses to store a verifier made with parameters below its floor', async (t) => {
  const server = await build(t, { KDF_MIN_OPS: KDF_FLOOR.opsLimit, KDF_MIN_MEM_BYTES: KDF_FLOOR.memLimit });
  // A client willing to go below the floor (only possible by lowering its own floor).
  await t.rejects(
    Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient }),
    { status: 400, code: 'VAULT_ERR_WEAK_KDF' },
  );
});

t.test('a client never registers below its own floor, and refuses absurd costs', async (t) => {
  const server = await build(t);
  await t.rejects(
    Vault.register({ server: server.url, handle: handle(), passphrase: 'x', kdf: { opsLimit: 1, memLimit: 8192 } }),
    WeakKdfError,
  );
  await t.rejects(
    Vault.register({ server: server.url, handle: handle(), passphrase: 'x', ...testClient, kdf: { opsLimit: 1, memLimit: 64 * 1024 ** 3 } }),
    WeakKdfError,
    'above the ceiling: a hostile server could make the client allocate without bound',
  );
});
