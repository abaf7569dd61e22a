import t from 'tap';
import { build } from './helper.ts';

t.test('authentication routes are rate limited per client, with a stable code', async (t) => {
  const server = await build(t, { AUTH_RATE_LIMIT_MAX: 3, AUTH_RATE_LIMIT_WINDOW_SECONDS: 60 });
  const post = (path: string, body: unknown) =>
    server.app.inject({ method: 'POST', url: path, payload: body as object });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await post('/v1/auth/login', { handle: 'someone', loginKey: 'A'.repeat(43) })).statusCode);
  t.same(statuses, [401, 401, 401, 429, 429], 'the fourth guess is throttled');
  const res = await post('/v1/auth/login', { handle: 'someone', loginKey: 'A'.repeat(43) });
  t.equal(res.json().code, 'VAULT_ERR_RATE_LIMITED');
  t.ok(res.headers['retry-after'], 'tells when to retry');

  const health = await server.app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200, 'other routes are not throttled');
});
