import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { checkPassphrase, PASSPHRASE_FLOOR, STRENGTH_REASONS, type StrengthReason } from '@testimony-vault/client';

// The passphrase check the clients run before register, passwd and recover: what a
// coordinator might type, and what the library says about it (stable codes, no text).

const account = { userInputs: ['casa-refugio', 'vault.refugio.org'] };

const table: [passphrase: string, reasons: StrengthReason[]][] = [
  ['', ['too-short', 'too-guessable']],
  ['contraseña123', ['common-word', 'sequence', 'too-guessable']],
  ['Contraseña2024', ['common-word', 'dates', 'predictable-changes', 'too-guessable']],
  ['migrante2024', ['common-word', 'dates', 'too-guessable']],
  ['hola como estas', ['common-word', 'too-guessable']],
  ['migrante-migrante-migrante', ['common-word', 'repeated', 'too-guessable']],
  ['lunes martes miércoles', ['common-word', 'sequence', 'too-guessable']],
  ['4dm1n1str4d0r', ['common-word', 'predictable-changes', 'too-guessable']],
  ['Guadalupe1985', ['name', 'dates', 'predictable-changes', 'too-guessable']],
  ['JuanPerez1990!', ['name', 'too-guessable']],
  ['P@ssw0rd2024!', ['common-password', 'predictable-changes', 'too-guessable']],
  ['qwertyuiop123', ['common-password', 'sequence', 'too-guessable']],
  ['qazwsxedcrfvtgb', ['common-password', 'too-guessable']],
  ['ñlkjhgfdsazxcv', ['keyboard-pattern', 'too-guessable']],
  ['zxcvbnm,./', ['too-short', 'keyboard-pattern', 'too-guessable']],
  ['aaaaaaaaaaaaaaa', ['repeated', 'too-guessable']],
  ['abc123abc123abc123', ['repeated', 'too-guessable']],
  ['abcdefghijklmno', ['sequence', 'too-guessable']],
  ['casa-refugio', ['contains-handle', 'too-guessable']],
  // zxcvbn rates this one just above the floor; the handle alone refuses it.
  ['Casa Refugio 2025', ['contains-handle']],
  ['xK9#mQ2$vL7', ['too-short', 'too-guessable']],
  // Passes: four random words, in Spanish, with or without accents; 13 random characters.
  ['girasol tranvía pelícano brújula', []],
  ['farol iguana cantaro velero', []],
  ['columpio nopal antena murciélago', []],
  ['hjk7dfa9xqplz', []],
];

for (const [passphrase, reasons] of table) {
  t.test(`"${passphrase}": ${reasons.length ? reasons.join(', ') : 'accepted'}`, async (t) => {
    const result = await checkPassphrase(passphrase, account);
    t.same(result.reasons, reasons);
    t.equal(result.ok, reasons.length === 0);
    if (result.ok) t.ok(result.guessesLog10 >= PASSPHRASE_FLOOR.minGuessesLog10 && result.score === 4);
  });
}

t.test('every reason code is expected somewhere in the table', async (t) => {
  const seen = new Set(table.flatMap(([, reasons]) => reasons));
  t.same(STRENGTH_REASONS.filter((r) => !seen.has(r)), []);
});

t.test('the default floor: 12 characters and 10^12 guesses', async (t) => {
  t.same(PASSPHRASE_FLOOR, { minLength: 12, minGuessesLog10: 12 });
  t.throws(() => ((PASSPHRASE_FLOOR as { minLength: number }).minLength = 4), 'it cannot be lowered by assignment');
});

t.test('the floor is a setting of the client', async (t) => {
  const lower = await checkPassphrase('migrante2024', { floor: { minLength: 8, minGuessesLog10: 6 } });
  t.same([lower.ok, lower.reasons], [true, []], 'a lower floor accepts what the default refuses');
  const higher = await checkPassphrase('hjk7dfa9xqplz', { floor: { minLength: 12, minGuessesLog10: 14 } });
  t.same([higher.ok, higher.reasons], [false, ['too-guessable']], 'a higher floor refuses what the default accepts');
  const longer = await checkPassphrase('girasol tranvía pelícano brújula', { floor: { minLength: 40, minGuessesLog10: 12 } });
  t.same(longer.reasons, ['too-short']);
});

t.test('the handle is found only when it is given', async (t) => {
  t.same((await checkPassphrase('casa-refugio')).reasons, ['common-word', 'too-guessable']);
  t.same((await checkPassphrase('Casa Refugio 2025')).reasons, [], 'without the account, zxcvbn alone lets it pass');
});

t.test('the dictionaries are loaded with import() only, never by a static import', async (t) => {
  const src = path.resolve(import.meta.dirname, '../client-lib/src');
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts'));
  const statics: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(src, file), 'utf8');
    if (/^\s*(import|export)\s(?!type\s)[^;]*?from\s+'@zxcvbn-ts\//m.test(text)) statics.push(file);
  }
  t.same(statics, [], 'a static import would put 2.4 MB of dictionaries in every bundle of the library');
  t.match(await readFile(path.join(src, 'account/strength.ts'), 'utf8'), /import\('@zxcvbn-ts\/language-es-es'\)/);
});
