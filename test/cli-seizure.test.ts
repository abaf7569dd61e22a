import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FileStateStore, IntegrityStateStore, Vault } from '@testimony-vault/client/node';
import { concat, field, LABEL, toBase64Url, utf8 } from '@testimony-vault/protocol';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { build, handle, testClient } from './helper.ts';
import { tvaultIn } from './tvault-run.ts';
import { localFiles, removeLocalState } from '../cli/src/commands/wipe.ts';

// A laptop with tvault on it is seized: the thief reads its config folder. Nothing there may
// name a case, a file, a person or a record ([Note: local state at rest]); `tvault wipe`
// removes it all, fast, with no passphrase.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-seized-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);
const dir = path.join(work, 'coord');

const coordinator = handle('casa');
const lawyer = handle('lic');
const pass = 'girasol tranvía pelícano brújula';
const lawyerPass = 'cometa almendra túnel orquesta';

/** Every file in the folder, as bytes read as text: what a thief sees. */
async function seize(folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const f of await readdir(folder, { recursive: true })) {
    const full = path.join(folder, f);
    try {
      files.set(f, await readFile(full, 'latin1'));
    } catch {
      // a folder
    }
  }
  return files;
}

/** The account's own view of its state, as tvault reads it after login. */
async function ownState(): Promise<IntegrityStateStore> {
  const state = await IntegrityStateStore.wrap(new FileStateStore(path.join(dir, 'state.json')));
  const vault = await Vault.login({ server: server.url, handle: coordinator, passphrase: pass, state, ...testClient });
  state.unlock(vault.localStateKey());
  await vault.logout();
  return state;
}

t.test('the config folder names no case, file, person or record', async (t) => {
  t.equal((await tvault('coord', pass, ['--server', server.url, 'register', coordinator])).code, 0);
  t.equal((await tvault('lawyer', lawyerPass, ['--server', server.url, 'register', lawyer])).code, 0);

  // What an older tvault left: readable entries and a list of uploads with their paths.
  const vault = await Vault.login({ server: server.url, handle: coordinator, passphrase: pass, ...testClient });
  const legacyKey = vault.localStateKey();
  await vault.logout();
  const s = await sodiumReady();
  const legacyRecord = randomUUID();
  const legacyName = `seen:old:${legacyRecord}`;
  const legacyTag = s.crypto_auth(concat(utf8(LABEL.localState), field(utf8(legacyName)), utf8('3')), legacyKey);
  const older = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8').catch(() => '{}')) as Record<string, string>;
  older[legacyName] = `${toBase64Url(utf8('3'))}.${toBase64Url(legacyTag)}`;
  older[`seen:forged:${randomUUID()}`] = `${toBase64Url(utf8('9'))}.AAAA`;
  await writeFile(path.join(dir, 'state.json'), JSON.stringify(older));
  await writeFile(path.join(dir, 'uploads.json'), JSON.stringify({ [`${legacyRecord}|/home/ana/testigo-viejo.mp4|1|2`]: randomUUID() }));

  const photo = path.join(work, 'testigo-juana-perez.jpg');
  await writeFile(photo, 'a photo');
  const statement = path.join(work, 'declaracion-pedro-gomez.pdf');
  await writeFile(statement, 'a statement');
  const narrative = path.join(work, 'narrative.txt');
  await writeFile(narrative, 'Cruzó el río de noche.');
  let r = await tvault('coord', pass, ['--json', 'add', '--title', 'Testimonio de Juana', '--place', 'Reynosa', '--narrative-file', narrative, '--attach', photo]);
  t.equal(r.code, 0, r.stderr);
  const id = /"id": "([0-9a-f-]{36})"/.exec(r.stdout)![1]!;
  r = await tvault('coord', pass, ['attach', randomUUID(), statement]);
  t.equal(r.code, 7, 'an attach that fails: the record does not exist');
  const number = /safety number: ([\d ]+)/.exec((await tvault('lawyer', lawyerPass, ['whoami'])).stdout)?.[1];
  t.equal((await tvault('coord', pass, ['contact', lawyer, '--confirm', number!])).code, 0);
  t.equal((await tvault('coord', pass, ['share', id, lawyer])).code, 0);
  t.equal((await tvault('coord', pass, ['show', id])).code, 0);
  t.equal((await tvault('coord', pass, ['history', id])).code, 0);

  const seized = await seize(dir);
  t.same([...seized.keys()].sort(), ['settings.json', 'state.json'], 'two files; the old list of uploads is gone');
  const needles = [id, id.replaceAll('-', ''), legacyRecord, 'Juana', 'Reynosa', 'testigo', 'pedro', 'declaracion', work, lawyer, 'seen:', 'contacts:', 'uploads', 'audit'];
  const state = seized.get('state.json')!;
  for (const needle of needles) t.notOk(state.toLowerCase().includes(needle.toLowerCase()), `state.json does not contain ${needle}`);
  t.ok(Object.keys(JSON.parse(state) as object).every((k) => k.startsWith('e2:')), 'every entry is in the encrypted form, the older ones moved');
  t.same(JSON.parse(seized.get('settings.json')!), { server: server.url, handle: coordinator, kdfVersion: 2 }, 'settings.json holds the server, the handle and its KDF version, as THREAT-MODEL §3 says, and nothing else');

  const own = await ownState();
  t.equal(await own.get(legacyName), '3', 'an entry of the older format was moved, not lost');
  t.same(JSON.parse((await own.get('tvault:uploads')) ?? '{}'), {}, 'the failed upload is not remembered');
});

t.test('tvault wipe removes it all after one confirmation, fast, and says what it removed', async (t) => {
  let r = await tvault('coord', '', ['wipe']);
  t.equal(r.code, 2, 'with no terminal to ask, --yes is required');
  t.match(r.stderr, /pass --yes/);
  t.ok(existsSync(path.join(dir, 'state.json')), 'nothing removed');

  r = await tvault('nobody', '', ['wipe', '--yes']);
  t.match(r.stdout, /keeps nothing in/);

  r = await tvault('coord', '', ['--lang', 'es', 'wipe', '--yes']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `Borrado ${path.join(dir, 'settings.json')}`);
  t.match(r.stdout, `Borrado ${path.join(dir, 'state.json')}`);
  t.match(r.stdout, /ya no guarda nada/);
  t.notOk(existsSync(dir), 'the folder is gone');
});

t.test('the removal itself takes well under a second (no passphrase, server or key derivation)', async (t) => {
  const folder = path.join(work, 'timed');
  await mkdir(folder);
  await writeFile(path.join(folder, 'settings.json'), '{}');
  await writeFile(path.join(folder, 'state.json'), JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`e2:${i}`, 'x'.repeat(200)]))));
  await writeFile(path.join(folder, 'state.json.123.tmp'), '{}');
  const started = performance.now();
  const files = await localFiles(folder);
  await removeLocalState(folder, files);
  const ms = performance.now() - started;
  t.same(files.sort(), ['settings.json', 'state.json', 'state.json.123.tmp']);
  t.notOk(existsSync(folder));
  t.ok(ms < 200, `${ms.toFixed(1)} ms`);
});
