import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// tvault unlock (issue 18; [Note: the unlock agent] in cli/src/agent.ts): the passphrase
// once, then commands without it, through an agent whose socket only its owner can open, in
// memory; tvault lock and the time limit end it; nothing that decrypts goes to disk.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-agent-'));
const runtime = await mkdtemp(path.join('/dev/shm', 'tvault-agent-test-'));
t.teardown(async () => {
  await tvault('coord', '', ['lock']);
  await rm(work, { recursive: true, force: true });
  await rm(runtime, { recursive: true, force: true });
});
const run = tvaultIn(work);
const tvault = (who: string, pass: string, args: string[]) => run(who, pass, args, { XDG_RUNTIME_DIR: runtime });
const coordinator = handle('casa');
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator, lawyer: handle('lic') });
await writeFile(path.join(work, 'narrative.txt'), 'Cruzó el río de noche.');

t.test('unlock once, then no passphrase until lock', async (t) => {
  let r = await tvault('coord', 'wrong', ['unlock']);
  t.equal(r.code, 3, 'a wrong passphrase starts no agent');
  r = await tvault('coord', COORD_PASS, ['unlock']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Unlocked for 15 minutes/);

  const folder = path.join(runtime, (await readdir(runtime))[0]!);
  const [socket] = await readdir(folder);
  t.equal(statSync(folder).mode & 0o777, 0o700, 'its folder: the owner only');
  t.equal(statSync(path.join(folder, socket!)).mode & 0o777, 0o600, 'its socket: the owner only');

  r = await tvault('coord', '', ['--json', 'add', '--title', 'sin contraseña', '--narrative-file', 'narrative.txt', '--attach', 'narrative.txt']);
  t.equal(r.code, 0, r.stderr);
  const id = (JSON.parse(r.stdout) as { id: string }).id;
  r = await tvault('coord', '', ['show', id.slice(0, 8)]);
  t.match(r.stdout, /sin contraseña/, 'commands run with no passphrase at all');
  r = await tvault('coord', '', ['show', '00000000-0000-4000-8000-000000000000']);
  t.equal(r.code, 7, 'errors keep their exit code through the agent');
  r = await tvault('lawyer', '', ['whoami']);
  t.equal(r.code, 3, "another config folder does not use this one's agent: its (empty) passphrase is asked and refused");
  t.notMatch(await readFile(path.join(work, 'coord', 'state.json'), 'utf8'), COORD_PASS);

  r = await tvault('coord', '', ['lock']);
  t.match(r.stdout, /Locked/);
  t.notOk(existsSync(path.join(folder, socket!)), 'the socket is gone');
  r = await tvault('coord', '', ['whoami']);
  t.not(r.code, 0, 'the passphrase is asked again');
  r = await tvault('coord', '', ['lock']);
  t.match(r.stdout, /Nothing to lock/);
});

t.test('the agent ends at its time limit', async (t) => {
  // 15 seconds: a tvault command on a loaded machine can take several, and the first one
  // must still find the agent open.
  let r = await tvault('lawyer', LAWYER_PASS, ['unlock', '--minutes', '0.25']);
  const unlockedAt = Date.now();
  t.equal(r.code, 0, r.stderr);
  t.equal((await tvault('lawyer', '', ['whoami'])).code, 0, 'open for now');
  await sleep(Math.max(0, unlockedAt + 16_000 - Date.now()));
  r = await tvault('lawyer', '', ['whoami']);
  t.not(r.code, 0, 'closed after fifteen seconds');
});
