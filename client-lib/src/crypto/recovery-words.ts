import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { RecoveryKeyFormatError } from '../errors.ts';

// The recovery key (32 random bytes) is shown once as 24 BIP-39 words: a checksum
// catches a mistyped word before any request is made.

export function recoveryKeyToWords(key: Uint8Array): string {
  return entropyToMnemonic(key, wordlist);
}

const LIST = new Set(wordlist);

/**
 * The words as people copy them from paper: in any case, numbered ("1. huge", "2) ...",
 * "3-"), separated by spaces, new lines, commas or semicolons.
 */
function wordsIn(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[\s,;]+/)
    .map((w) => w.replace(/^\d+[.):-]*/, ''))
    .filter((w) => w !== '');
}

export function wordsToRecoveryKey(words: string): Uint8Array {
  const list = wordsIn(words);
  try {
    const key = mnemonicToEntropy(list.join(' '), wordlist);
    if (key.length !== 32) throw new Error('wrong length');
    return key;
  } catch {
    const unknown = list.flatMap((w, i) => (LIST.has(w) ? [] : [i + 1]));
    throw new RecoveryKeyFormatError(list.length, unknown);
  }
}
