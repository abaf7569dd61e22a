import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { wasmEngine, type SecretStreamEngine } from '../crypto/secretstream.ts';
import type { Sodium } from '../crypto/sodium.ts';

// What the core library asks of its platform. The defaults work everywhere; the Node entry
// point (client-lib/src/node) installs file-path access, Node's faster SHA-256 and, when it
// loads, native libsodium for the file stream ([Note: file stream engines]).

export interface Hasher {
  update(data: Uint8Array): void;
  /** Lower-case hex digest. */
  hex(): string;
}

export interface PathSource {
  stream: AsyncIterable<Uint8Array>;
  size: number;
}

export interface Platform {
  sha256(): Hasher;
  openPath?: (path: string) => Promise<PathSource>;
  /** Writes the stream to `path` only if it ends without error; never leaves a partial file. */
  writeFileAtomically?: (path: string, data: AsyncIterable<Uint8Array>) => Promise<void>;
  /** A faster engine for file streams than the WebAssembly one. */
  secretStream?: SecretStreamEngine | undefined;
}

export const platform: Platform = {
  sha256() {
    const h = sha256.create();
    return { update: (d) => void h.update(d), hex: () => bytesToHex(h.digest()) };
  },
};

/** The engine files are encrypted and decrypted with here. */
export function streamEngine(s: Sodium): SecretStreamEngine {
  return platform.secretStream ?? wasmEngine(s);
}
