import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { RecoveryKeyFormatError } from '../errors.ts';

// The recovery key (32 random bytes) is shown once as 24 BIP-39 words: a checksum
// catches a mistyped word before any request is made.

export function recoveryKeyToWords(key: Uint8Array): string {
  return entropyToMnemonic(key, wordlist);
}

export function wordsToRecoveryKey(words: string): Uint8Array {
  const normalised = words.trim().toLowerCase().split(/\s+/).join(' ');
  try {
    const key = mnemonicToEntropy(normalised, wordlist);
    if (key.length !== 32) throw new Error('wrong length');
    return key;
  } catch {
    throw new RecoveryKeyFormatError();
  }
}
