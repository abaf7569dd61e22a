import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ERR } from '../server/src/errors.ts';
import * as clientErrors from '../client-lib/src/errors.ts';

t.test('every server error code is documented in docs/ERRORS.md', async (t) => {
  const doc = await readFile(new URL('../docs/ERRORS.md', import.meta.url), 'utf8');
  const codes = Object.values(ERR).map((E) => new E('x').code);
  t.ok(codes.length > 10);
  for (const code of codes) t.ok(doc.includes(`\`${code}\``), `${code} is documented`);
});

t.test('every client error code is documented, and codes are unique', async (t) => {
  const doc = await readFile(new URL('../docs/ERRORS.md', import.meta.url), 'utf8');
  const seen = new Set<string>();
  for (const [name, Cls] of Object.entries(clientErrors)) {
    if (name === 'ApiError' || name === 'ServerError' || name === 'KeyChangedError') continue;
    const e = new (Cls as new (m?: string) => clientErrors.VaultError)('x');
    t.ok(doc.includes(`\`${e.code}\``), `${name} (${e.code}) is documented`);
    t.notOk(seen.has(e.code), `${e.code} is used once`);
    seen.add(e.code);
  }
  t.ok(doc.includes('`VAULT_ERR_KEY_CHANGED`'));
});
