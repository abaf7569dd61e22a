import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { checkpointBody, noteKeyId, signedNote, verifierKey } from '@testimony-vault/protocol';

// [Note: log key]
// The checkpoint signing key is kept outside the database, so that a copy of the database
// (or a hostile database administrator) cannot sign a rewritten log: AUDIT_SIGNING_KEY
// (base64 of the 32-byte Ed25519 seed) or a key file, created on first start with mode 0600.

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface LogKey {
  origin: string;
  publicKey: Uint8Array;
  verifierKey: string;
  /** The signed checkpoint (C2SP signed note) for a tree of `size` leaves with root `root`. */
  checkpoint(size: number, root: Uint8Array): string;
}

async function loadSeed(config: Config): Promise<Buffer> {
  if (config.AUDIT_SIGNING_KEY) return Buffer.from(config.AUDIT_SIGNING_KEY, 'base64');
  const file = config.AUDIT_KEY_FILE ?? path.join(config.VAULT_DATA_DIR, 'audit-log.key');
  try {
    return decodeSeed(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another instance or test created it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return decodeSeed(await readFile(file, 'utf8'), file);
}

function decodeSeed(text: string, file: string): Buffer {
  const seed = Buffer.from(text.trim(), 'base64');
  if (seed.length !== 32) throw new Error(`audit log key file ${file} does not hold a 32-byte base64 seed`);
  return seed;
}

export async function loadLogKey(config: Config): Promise<LogKey> {
  const seed = await loadSeed(config);
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  const origin = config.AUDIT_LOG_ORIGIN;
  const keyId = noteKeyId(origin, publicKey);
  return {
    origin,
    publicKey,
    verifierKey: verifierKey(origin, publicKey),
    checkpoint(size, root) {
      const body = checkpointBody(origin, size, root);
      return signedNote(body, origin, keyId, sign(null, Buffer.from(body, 'utf8'), privateKey));
    },
  };
}
