import t from 'tap';
import { ConfigError, loadConfig } from '../server/src/config.ts';

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.equal(c.HOST, '127.0.0.1');
  t.equal(c.PORT, 8080);
  t.equal(c.VAULT_DATA_DIR, './data');
  t.equal(c.REGISTRATION, 'invite');
  t.equal(c.DATABASE_URL, undefined);
});

t.test('values from the environment are parsed', async (t) => {
  const c = loadConfig({ PORT: '0', REGISTRATION: 'open', DATABASE_URL: 'postgres://u@h:5432/d', TRUST_PROXY: 'true' });
  t.equal(c.PORT, 0);
  t.equal(c.REGISTRATION, 'open');
  t.equal(c.TRUST_PROXY, true);
});

const bad: [string, Record<string, string>, RegExp][] = [
  ['port out of range', { PORT: '70000' }, /PORT/],
  ['port not a number', { PORT: 'eighty' }, /PORT/],
  ['unknown registration mode', { REGISTRATION: 'anyone' }, /REGISTRATION/],
  ['database url of another scheme', { DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
  ['session lifetime too short', { SESSION_TTL_SECONDS: '5' }, /SESSION_TTL_SECONDS/],
];
for (const [name, env, re] of bad) {
  t.test(`refused: ${name}`, async (t) => {
    const err = (() => {
      try {
        loadConfig(env);
      } catch (e) {
        return e;
      }
    })();
    t.type(err, ConfigError);
    t.match((err as Error).message, re, 'the message names the variable');
  });
}
