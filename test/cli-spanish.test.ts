import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { build, handle } from './helper.ts';
import { COORD_PASS, LAWYER_PASS, registerCoordinatorAndLawyer, tvaultIn } from './tvault-run.ts';

// Everything in the chosen language (issue 18): commander's own words, every error (the
// server's codes in the catalogue's words), the history's actions, the grants' states and
// what the marks mean; Spanish as used in Mexico ("contraseña", "evidencias").

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-es-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const run = tvaultIn(work);
const tvault = (who: string, pass: string, args: string[]) => run(who, pass, args, { LANG: 'es_MX.UTF-8' });
const ENGLISH = /Usage|\[options\]|Options:|Commands:|display help|error: |Error: |refused|record\.create|live|Not found/;
const OLD_WORDS = /frase de paso|archivos de prueba/;

const coordPass = COORD_PASS;
const lawyerPass = LAWYER_PASS;
const lawyer = handle('lic');
const coordinator = handle('casa');
await registerCoordinatorAndLawyer(tvault, server.url, { coordinator, lawyer });
await writeFile(path.join(work, 'narrative.txt'), 'Cruzó el río de noche.');

t.test("commander's help and errors", async (t) => {
  let r = await tvault('coord', '', ['--help']);
  t.match(r.stdout, /^Uso: tvault/);
  for (const word of ['Opciones:', 'Órdenes:', 'mostrar la ayuda de una orden']) t.match(r.stdout, word);
  r = await tvault('coord', '', ['attach', '--help']);
  t.match(r.stdout, /^Uso: tvault attach \[opciones\] <record> <files\.\.\.>\n\nadjuntar evidencias/);
  r = await tvault('coord', '', ['show']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^tvault: falta un argumento: record\./);
  r = await tvault('coord', '', ['lsit']);
  t.match(r.stderr, /^tvault: orden desconocida: lsit\. ¿Quiso decir list\?/);
  r = await tvault('coord', '', ['list', '--jsn']);
  t.match(r.stderr, /^tvault: opción desconocida: --jsn\./);
  for (const out of [r.stdout, r.stderr]) t.notMatch(out, ENGLISH);
});

t.test("the server's error codes in the catalogue's words, and a user's slips before the library's English", async (t) => {
  let r = await tvault('coord', coordPass, ['show', '00000000-0000-4000-8000-000000000000']);
  t.equal(r.code, 7);
  t.match(r.stderr, /^tvault: No existe, o no le corresponde verlo \(pudo haber sido borrado, o su acceso terminó\)\. \(servidor: VAULT_ERR_NOT_FOUND: /);
  const added = await tvault('coord', coordPass, ['--json', 'add', '--title', 'S.', '--narrative-file', 'narrative.txt']);
  const id = (JSON.parse(added.stdout) as { id: string }).id;
  r = await tvault('coord', coordPass, ['share', id, lawyer, '--until', '2020-01-31', '--unverified']);
  t.equal(r.code, 2);
  t.match(r.stderr, /^tvault: --until: el 31 ene 2020, 11:59 p\.\s?m\. \S+ ya pasó/);
  r = await tvault('coord', coordPass, ['share', id, coordinator]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^tvault: Un testimonio siempre lo puede leer su propietaria o propietario/);
});

t.test('history, grants and inbox in words, with the marks explained, and Mexican wording', async (t) => {
  const added = await tvault('coord', coordPass, ['--json', 'add', '--title', 'R.', '--narrative-file', 'narrative.txt']);
  const id = (JSON.parse(added.stdout) as { id: string }).id;
  t.equal((await tvault('coord', coordPass, ['share', id, lawyer, '--unverified'])).code, 0);
  const outputs: string[] = [];
  let r = await tvault('coord', coordPass, ['grants', id]);
  outputs.push(r.stdout);
  t.match(r.stdout, new RegExp(`${lawyer}  con acceso  .*  \\?`));
  t.match(r.stdout, /\? nunca comparado/, 'what ? means');
  r = await tvault('lawyer', lawyerPass, ['inbox']);
  outputs.push(r.stdout);
  t.match(r.stdout, /✓ número de seguridad comparado con la persona; \? nunca comparado/);
  t.equal((await tvault('coord', coordPass, ['revoke', id, lawyer])).code, 0);
  t.equal((await tvault('lawyer', lawyerPass, ['show', id])).code, 7);
  r = await tvault('coord', coordPass, ['history', id]);
  outputs.push(r.stdout);
  for (const words of ['creó el testimonio', `lo compartió con ${lawyer}`, `le quitó el acceso a ${lawyer}`, `${lawyer} leyó el testimonio: rechazado`]) t.match(r.stdout, words);
  r = await tvault('coord', coordPass, ['grants', id]);
  t.match(r.stdout, `${lawyer}  revocado`);
  outputs.push(r.stdout, (await tvault('coord', 'mal', ['whoami'])).stderr, (await tvault('coord', '', ['--help'])).stdout);
  for (const out of outputs) {
    t.notMatch(out, ENGLISH, 'no English');
    t.notMatch(out, OLD_WORDS, '"contraseña", "evidencias"');
  }
});
