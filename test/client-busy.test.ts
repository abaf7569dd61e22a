import t from 'tap';
import { ServerError, Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';

// A login refused as busy (503 VAULT_ERR_BUSY, before any work) is sent again by the client
// after Retry-After; it reaches the caller only when the server stays busy.

const server = await build(t);
const h = handle('busy');
await Vault.register({ server: server.url, handle: h, passphrase: 'p', ...testClient });

/** Answers the first `busy` login requests as a full server would, then lets them through. */
function busyFetch(busy: number) {
  let refused = 0;
  const wrapped: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/v1/auth/login') && refused < busy) {
      refused += 1;
      return new Response(JSON.stringify({ statusCode: 503, code: 'VAULT_ERR_BUSY', message: 'busy' }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' } });
    }
    return fetch(input, init);
  };
  return { fetch: wrapped, refused: () => refused };
}

t.test('two busy answers, then the login goes through', async (t) => {
  const f = busyFetch(2);
  const vault = await Vault.login({ server: server.url, handle: h, passphrase: 'p', fetch: f.fetch, ...testClient });
  t.equal(f.refused(), 2, 'refused twice');
  t.ok((await vault.sessions()).length >= 1, 'logged in');
});

t.test('a server that stays busy: the refusal reaches the caller after a bounded number of tries', async (t) => {
  const f = busyFetch(100);
  await t.rejects(Vault.login({ server: server.url, handle: h, passphrase: 'p', fetch: f.fetch, ...testClient }), ServerError);
  t.equal(f.refused(), 5, 'the first try and four more');
});
