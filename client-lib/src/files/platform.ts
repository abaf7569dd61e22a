import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// What the core library asks of its platform. The defaults work everywhere; the Node entry
// point (client-lib/src/node) installs file-path access and Node's faster SHA-256.

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
}

export const platform: Platform = {
  sha256() {
    const h = sha256.create();
    return { update: (d) => void h.update(d), hex: () => bytesToHex(h.digest()) };
  },
};
