import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// Dates where the user is (issue 18; [Note: dates where the user is] in cli/src/dates.ts):
// a coordinator in Mexico City gives access until the end of June 30th, her June 30th.

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-dates-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const run = tvaultIn(work);
const MEXICO = { TZ: 'America/Mexico_City', LANG: 'es_MX.UTF-8' }; // UTC-6 all year since 2022
const tvault = (who: string, pass: string, args: string[]) => run(who, pass, args, MEXICO);

const coordPass = COORD_PASS;
const lawyerPass = LAWYER_PASS;
const lawyer = handle('lic');
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator: handle('casa'), lawyer });
await writeFile(path.join(work, 'narrative.txt'), 'Cruzó el río de noche.');
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
// Always a year ahead, so the share is never already over (Mexico City keeps UTC−6 all year).
const YEAR = new Date().getFullYear() + 1;

t.test('--until a day means the end of that day where the user is, and dates are shown in her zone and language', async (t) => {
  const added = await tvault('coord', coordPass, ['--json', 'add', '--title', 'R.', '--narrative-file', 'narrative.txt']);
  const id = (JSON.parse(added.stdout) as { id: string }).id;
  const number = /seguridad: ([\d ]+)/.exec((await tvault('lawyer', lawyerPass, ['whoami'])).stdout)?.[1];
  t.equal((await tvault('coord', coordPass, ['contact', lawyer, '--confirm', number!])).code, 0);

  let r = await tvault('coord', coordPass, ['share', id, lawyer, '--until', `${YEAR}-02-30`]);
  t.equal(r.code, 2, 'a day that does not exist');
  t.match(r.stderr, /no es una fecha/);

  r = await tvault('coord', coordPass, ['share', id, lawyer, '--until', `${YEAR}-06-30`]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`hasta el 30 jun ${YEAR}, 11:59`), 'said in Spanish, in local time');
  t.notMatch(r.stdout, ISO, 'no ISO UTC timestamp on screen');

  r = await tvault('coord', coordPass, ['--json', 'grants', id]);
  t.equal((JSON.parse(r.stdout) as { expiresAt: string }[])[0]?.expiresAt, `${YEAR}-07-01T05:59:59.999Z`, 'the last instant of June 30th in Mexico City, in UTC in --json');

  for (const args of [['grants', id], ['show', id], ['versions', id], ['history', id]]) {
    r = await tvault('coord', coordPass, args);
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stdout, ISO, `${args[0]}: no ISO UTC timestamp on screen`);
  }
  r = await tvault('lawyer', lawyerPass, ['inbox']);
  t.match(r.stdout, new RegExp(`30 jun ${YEAR}, 11:59`), 'the inbox says until when, locally');
  t.notMatch(r.stdout, ISO);
});
