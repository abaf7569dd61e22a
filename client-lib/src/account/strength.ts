import type { FeedbackType, MatchExtended, ZxcvbnFactory } from '@zxcvbn-ts/core';

// [Note: passphrase floor]
// The passphrase is the only secret between a seized laptop (or a copied database) and
// every testimony: the wrapped master key can be attacked offline at the cost of one
// Argon2id (256 MiB, 3 passes) per guess. That cost is memory traffic: each guess fills
// 256 MiB and reads and rewrites it three times (over 2 GiB moved), so even a large GPU
// (80 GB, ~2 TB/s) manages at most about 10³ guesses a second. An adversary who can rent a hundred of them for a month — organised
// crime or a state agency, the ones this vault is for — tries about 10⁵ × 2.6·10⁶ ≈ 3·10¹¹
// guesses. The default floor asks for 10¹² guesses as zxcvbn counts them (which, for
// words, is the rank an attacker's dictionary would give them), so that month buys such an
// adversary about a quarter of the space; 10¹⁰ (zxcvbn's score 4) would fall in about a day.
// zxcvbn counts ten guesses per unpatterned character, so the floor reads as "as hard as
// 12 characters with no word, date, name or pattern in them"; four random words pass it
// with room to spare. The minimum length of 12 stops short passphrases whose estimate is
// high only because one rare word hides in them.

/** Why a passphrase is below the floor: stable codes; each client words them itself. */
export type StrengthReason =
  | 'too-short'
  | 'common-password'
  | 'common-word'
  | 'name'
  | 'contains-handle'
  | 'keyboard-pattern'
  | 'repeated'
  | 'sequence'
  | 'dates'
  | 'predictable-changes'
  | 'too-guessable';

/** Every reason, in the order checkPassphrase lists them (the verdict last). */
export const STRENGTH_REASONS: readonly StrengthReason[] = [
  'too-short', 'common-password', 'common-word', 'name', 'contains-handle', 'keyboard-pattern',
  'repeated', 'sequence', 'dates', 'predictable-changes', 'too-guessable',
];

export interface StrengthFloor {
  /** Characters (Unicode code points). */
  minLength: number;
  /** log10 of the guesses zxcvbn estimates an attacker needs. */
  minGuessesLog10: number;
}

/** The default floor; see [Note: passphrase floor]. A client setting may raise or lower it. */
export const PASSPHRASE_FLOOR: Readonly<StrengthFloor> = Object.freeze({ minLength: 12, minGuessesLog10: 12 });

export interface PassphraseStrength {
  ok: boolean;
  /** zxcvbn's score, 0 (guessed at once) to 4 (≥ 10¹⁰ guesses). */
  score: 0 | 1 | 2 | 3 | 4;
  guessesLog10: number;
  /** Empty when ok. */
  reasons: StrengthReason[];
}

export interface CheckPassphraseOptions {
  /** Words an attacker knows about this account: the handle, the server's name. */
  userInputs?: string[];
  floor?: StrengthFloor;
}

/**
 * Estimates how many guesses an offline attacker needs, and says why the passphrase is
 * below the floor. The dictionaries (Spanish, English, common passwords: about 2.4 MB of
 * JavaScript) are loaded on the first call, with import(), so a bundle that never checks a
 * passphrase does not carry them and a web bundle can split them into their own chunk.
 */
export async function checkPassphrase(passphrase: string, options: CheckPassphraseOptions = {}): Promise<PassphraseStrength> {
  const floor = options.floor ?? PASSPHRASE_FLOOR;
  const userInputs = options.userInputs ?? [];
  const result = (await estimator()).check(passphrase, accountWords(userInputs));
  const tooShort = [...passphrase].length < floor.minLength;
  const tooGuessable = result.guessesLog10 < floor.minGuessesLog10;
  const hasHandle = containsAccountName(passphrase, userInputs);
  const found = new Set<StrengthReason>();
  if (tooShort) found.add('too-short');
  if (hasHandle) found.add('contains-handle');
  if (tooGuessable) {
    for (const match of result.sequence) matchReasons(match).forEach((r) => found.add(r));
    feedbackReasons(result.feedback).forEach((r) => found.add(r));
    found.add('too-guessable');
  }
  return {
    ok: !tooShort && !tooGuessable && !hasHandle,
    score: result.score,
    guessesLog10: result.guessesLog10,
    reasons: STRENGTH_REASONS.filter((r) => found.has(r)),
  };
}

let loading: Promise<ZxcvbnFactory> | undefined;

/** zxcvbn with its dictionaries, loaded once; a failed load is retried on the next call. */
function estimator(): Promise<ZxcvbnFactory> {
  loading ??= (async () => {
    const [core, common, es, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-es-es'),
      import('@zxcvbn-ts/language-en'),
    ]);
    // Levenshtein matching against every dictionary costs seconds per check on a slow
    // phone; without it a near-miss is still split into the words and digits it is made of.
    return new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...es.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      useLevenshteinDistance: false,
    });
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

const letters = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * The handle and the server's name are public (handles are stored in the clear), so a
 * passphrase that contains one whole, in any case or spacing, is refused even when zxcvbn
 * scores the rest high enough: it splits "Casa Refugio 2025" into pieces it rates as random.
 */
function containsAccountName(passphrase: string, inputs: string[]): boolean {
  const text = letters(passphrase);
  return inputs.map(letters).some((name) => name.length >= 4 && text.includes(name));
}

/** A handle like "casa-refugio" is typed as "casarefugio", "CasaRefugio" or one of its parts. */
function accountWords(inputs: string[]): string[] {
  const words = new Set<string>();
  for (const input of inputs) {
    const lower = input.trim().toLowerCase();
    for (const word of [lower, letters(lower)]) if (word) words.add(word);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 4) words.add(part);
  }
  return [...words];
}

function matchReasons(match: MatchExtended): StrengthReason[] {
  switch (match.pattern) {
    case 'dictionary': {
      const name = String(match['dictionaryName']);
      const changed = match['l33t'] === true || match['reversed'] === true ? ['predictable-changes' as const] : [];
      return [dictionaryReason(name), ...changed];
    }
    case 'spatial': return ['keyboard-pattern'];
    case 'repeat': return ['repeated'];
    case 'sequence':
    case 'wordSequence': return ['sequence'];
    case 'date': return ['dates'];
    case 'regex': return match['regexName'] === 'recentYear' ? ['dates'] : [];
    default: return [];
  }
}

function dictionaryReason(name: string): StrengthReason {
  if (name.startsWith('passwords')) return 'common-password';
  if (name === 'userInputs') return 'contains-handle';
  if (/names/i.test(name)) return 'name';
  return 'common-word';
}

// zxcvbn's feedback, with no translations given, is its own keys (data/translationKeys).
const FEEDBACK: Record<string, StrengthReason> = {
  straightRow: 'keyboard-pattern', keyPattern: 'keyboard-pattern', longerKeyboardPattern: 'keyboard-pattern',
  simpleRepeat: 'repeated', extendedRepeat: 'repeated', repeated: 'repeated',
  sequences: 'sequence',
  recentYears: 'dates', dates: 'dates', associatedYears: 'dates',
  topTen: 'common-password', topHundred: 'common-password', common: 'common-password', similarToCommon: 'common-password', pwned: 'common-password',
  wordByItself: 'common-word',
  namesByThemselves: 'name', commonNames: 'name',
  userInputs: 'contains-handle',
  l33t: 'predictable-changes', reverseWords: 'predictable-changes', capitalization: 'predictable-changes', allUppercase: 'predictable-changes',
};

function feedbackReasons(feedback: FeedbackType): StrengthReason[] {
  return [feedback.warning, ...feedback.suggestions].flatMap((key) => (key && FEEDBACK[key] ? [FEEDBACK[key]] : []));
}
