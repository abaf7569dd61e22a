import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';
import { dumpAllTables, findNeedles } from './scan.ts';

t.test('no title, narrative, place or tag is stored in the clear', async (t) => {
  const server = await build(t);
  const vault = (await Vault.register({ server: server.url, handle: handle(), passphrase: 'p', ...testClient })).vault;
  const canary = {
    title: 'CANARYTITLE-8c1f Secuestro en la central',
    narrative: 'CANARYNARRATIVE-a77e La testigo relata que hombres armados…',
    place: 'CANARYPLACE-19bd Reynosa',
    tags: ['CANARYTAG-5e02'],
    witness: 'CANARYEXTRA-3f3f',
  };
  const { id } = await vault.createRecord(canary);
  await vault.updateRecord(id, { narrative: `${canary.narrative} (segunda versión)` });
  t.equal((await vault.getRecord(id)).fields.title, canary.title, 'the record reads back');

  const dump = await dumpAllTables(server.db);
  t.ok(dump.includes(id), 'the scan sees the record row');
  const needles = Object.entries(canary).map(([name, v]) => ({ name, value: Array.isArray(v) ? v[0]! : v.split(' ')[0]! }));
  t.same(findNeedles(dump, needles), [], 'no canary in any table, in any encoding');
});
