import { concat, field, fromUtf8, utf8, LABEL, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { sodiumReady, type Sodium } from '../crypto/sodium.ts';
import { IntegrityError, VaultError } from '../errors.ts';
import type { StateStore } from './store.ts';

/**
 * A state store whose every entry carries a MAC (crypto_auth, HMAC-SHA-512-256) under a
 * key derived from the account's master key (Vault.localStateKey), so that editing a
 * pinned key, a checkpoint or a version seen on disk is detected (IntegrityError) instead
 * of silently trusted. The MAC binds the entry's name too. Entries removed from the file
 * read as absent: deleting the whole state is not detected (it is the same as a new device).
 * Locked until unlock() is called with the key; any use before that throws.
 */
export class IntegrityStateStore implements StateStore {
  private key: Uint8Array | undefined;

  private constructor(
    private readonly s: Sodium,
    private readonly inner: StateStore,
  ) {}

  static async wrap(inner: StateStore): Promise<IntegrityStateStore> {
    return new IntegrityStateStore(await sodiumReady(), inner);
  }

  unlock(key: Uint8Array): void {
    this.key = key;
  }

  private mac(name: string, value: string): Uint8Array {
    if (!this.key) throw new VaultError('the local state is locked until login');
    return this.s.crypto_auth(concat(utf8(LABEL.localState), field(utf8(name)), utf8(value)), this.key);
  }

  async get(name: string): Promise<string | undefined> {
    const stored = await this.inner.get(name);
    if (stored === undefined) return undefined;
    const dot = stored.lastIndexOf('.');
    let value: string;
    let tag: Uint8Array;
    try {
      value = fromUtf8(fromBase64Url(stored.slice(0, dot)));
      tag = fromBase64Url(stored.slice(dot + 1));
    } catch {
      throw new IntegrityError(`local state entry ${name} is malformed`);
    }
    if (dot < 0 || !this.s.crypto_auth_verify(tag, concat(utf8(LABEL.localState), field(utf8(name)), utf8(value)), this.key ?? this.lockedKey())) {
      throw new IntegrityError(`local state entry ${name} was altered`);
    }
    return value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.inner.set(name, `${toBase64Url(utf8(value))}.${toBase64Url(this.mac(name, value))}`);
  }

  private lockedKey(): never {
    throw new VaultError('the local state is locked until login');
  }
}
