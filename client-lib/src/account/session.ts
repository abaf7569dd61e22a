import { Http } from '../api/http.ts';
import type { WireIdentity, WireLogin } from '../api/wire.ts';
import { fromBase64Url, toBase64Url as b64 } from '@testimony-vault/protocol';
import { unwrapPrivateKeys, verifyIdentity, type PrivateKeys, type PublicIdentity } from '../crypto/identity.ts';
import type { KdfParams } from '../crypto/kdf.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { ApiError, IntegrityError, WrongPassphraseError } from '../errors.ts';
import { openMasterKey } from './material.ts';
import { checkSessionLabel, sealSessionLabel } from './session-label.ts';

/** What an unlocked client holds in memory (and nowhere else). */
export interface Unlocked {
  /**
   * The server's name for this account, as the login answer claims it: an address to put
   * in requests (the server checks it against the session), never the basis of a security
   * decision on this side. What identifies the account to the client is its verified
   * identity (`identity.signPublicKey`).
   */
  accountId: string;
  handle: string;
  isAdmin: boolean;
  sessionId: string;
  masterKey: Uint8Array;
  identity: PublicIdentity;
  privateKeys: PrivateKeys;
  /** SHA-256 of the audit log key pinned at registration, or null (an older account): [Note: the log key in the account]. */
  logKeyPin: Uint8Array | null;
  wrappedMasterKey: Uint8Array;
  kdf: KdfParams;
}

export function identityFromWire(w: WireIdentity): PublicIdentity {
  try {
    return {
      handle: w.handle,
      signPublicKey: fromBase64Url(w.signPublicKey),
      boxPublicKey: fromBase64Url(w.boxPublicKey),
      signature: fromBase64Url(w.signature),
    };
  } catch {
    throw new IntegrityError(`identity of ${w.handle} is malformed`);
  }
}

/**
 * Sends the login key; on success opens the key bundle the server returns and, given a
 * `device` label, stores it encrypted for this session ([Note: session labels]): the label
 * needs the master key and the session id, which exist only after the login.
 */
export async function openSession(
  s: Sodium, http: Http, handle: string, loginKey: Uint8Array, kek: Uint8Array, kdf: KdfParams, device?: string,
): Promise<Unlocked> {
  if (device !== undefined) checkSessionLabel(device);
  let login: WireLogin;
  try {
    login = await http.json<WireLogin>('POST', '/v1/auth/login', { handle, loginKey: b64(loginKey) });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'VAULT_ERR_BAD_CREDENTIALS') throw new WrongPassphraseError();
    throw err;
  }
  http.token = login.token;
  // The server checked the login key, so a key bundle that does not open with our
  // key-encryption key was not written by us: refuse it rather than guess.
  const wrappedMasterKey = fromBase64Url(login.keys.wrappedMasterKey);
  const masterKey = openMasterKey(s, kek, handle, wrappedMasterKey);
  const identity = identityFromWire(login.keys.identity);
  if (identity.handle !== handle || login.account.handle !== handle) throw new IntegrityError('server returned another account');
  verifyIdentity(s, identity);
  const { logKeyPin, ...privateKeys } = unwrapPrivateKeys(s, masterKey, identity, fromBase64Url(login.keys.wrappedPrivateKeys));
  if (device !== undefined) {
    await http.json('PUT', '/v1/sessions/current/label', { label: sealSessionLabel(s, masterKey, identity.signPublicKey, login.sessionId, device) });
  }
  return {
    accountId: login.account.id,
    handle,
    isAdmin: login.account.isAdmin,
    sessionId: login.sessionId,
    masterKey,
    identity,
    privateKeys,
    logKeyPin,
    wrappedMasterKey,
    kdf,
  };
}
