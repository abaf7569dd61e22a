import { concat, field, fromUtf8, utf8, LABEL, KDF_CONTEXT, fromBase64Url, toBase64Url } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import { sodiumReady, type Sodium } from '../crypto/sodium.ts';
import { DecryptionError, IntegrityError, VaultError } from '../errors.ts';
import type { StateStore } from './store.ts';

// [Note: local state at rest]
// What a client keeps between runs names records (ids in entry names such as
// `seen:<account>:<record id>`), contacts and uploads. A device thief must learn none of
// it, and must not be able to alter it unnoticed. So under two subkeys of
// Vault.localStateKey (itself derived from the master key):
//
//   stored name  = "e2:" ‖ base64url(BLAKE2b-256 keyed with subkey 1 over "tvault/v2/local-state/name" ‖ name)
//   stored value = base64url(envelope under subkey 2, AD = "tvault/v2/local-state/value" ‖ field(name))
//
// The AD binds each value to its name, so values cannot be swapped between entries; a value
// that does not open is an IntegrityError. What stays visible: how many entries there are
// and their sizes. Entries removed from the file read as absent: deleting the whole state
// is not detected (it is the same as a new device).
//
// Version 1 entries (plaintext names and values, MACed) are moved into this form by
// migrate() and then deleted, once, after the first login of a newer client.

const PREFIX = 'e2:';

/** An encrypted, authenticated state store; locked until unlock() is called with the key. */
export class IntegrityStateStore implements StateStore {
  private nameKey: Uint8Array | undefined;
  private valueKey: Uint8Array | undefined;
  private legacyKey: Uint8Array | undefined;

  private constructor(
    private readonly s: Sodium,
    private readonly inner: StateStore,
  ) {}

  static async wrap(inner: StateStore): Promise<IntegrityStateStore> {
    return new IntegrityStateStore(await sodiumReady(), inner);
  }

  unlock(key: Uint8Array): void {
    this.legacyKey = key;
    this.nameKey = this.s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.localStateSubkeys, key);
    this.valueKey = this.s.crypto_kdf_derive_from_key(32, 2, KDF_CONTEXT.localStateSubkeys, key);
  }

  private keys(): { nameKey: Uint8Array; valueKey: Uint8Array } {
    if (!this.nameKey || !this.valueKey) throw new VaultError('the local state is locked until login');
    return { nameKey: this.nameKey, valueKey: this.valueKey };
  }

  private storedName(name: string): string {
    const digest = this.s.crypto_generichash(32, concat(utf8(LABEL.localStateName), utf8(name)), this.keys().nameKey);
    return `${PREFIX}${toBase64Url(digest)}`;
  }

  private ad(name: string): Uint8Array {
    return concat(utf8(LABEL.localStateValue), field(utf8(name)));
  }

  async get(name: string): Promise<string | undefined> {
    const { valueKey } = this.keys();
    const stored = await this.inner.get(this.storedName(name));
    if (stored === undefined) return undefined;
    try {
      return fromUtf8(open(this.s, valueKey, fromBase64Url(stored), this.ad(name), `local state entry ${name}`));
    } catch (err) {
      if (err instanceof DecryptionError) throw new IntegrityError(`local state entry ${name} was altered`);
      throw new IntegrityError(`local state entry ${name} is malformed`);
    }
  }

  async set(name: string, value: string): Promise<void> {
    const { valueKey } = this.keys();
    await this.inner.set(this.storedName(name), toBase64Url(seal(this.s, valueKey, utf8(value), this.ad(name))));
  }

  async delete(name: string): Promise<void> {
    this.keys();
    await this.inner.delete?.(this.storedName(name));
  }

  /**
   * Moves version 1 entries (readable names, MACed values) into the encrypted form and
   * deletes them; ones whose MAC does not verify are deleted unread. Needs a store that can
   * list and delete (FileStateStore can); others are left as they are.
   */
  async migrate(): Promise<number> {
    this.keys();
    if (!this.inner.names || !this.inner.delete) return 0;
    let moved = 0;
    for (const name of await this.inner.names()) {
      if (name.startsWith(PREFIX)) continue;
      const value = this.legacyValue(name, await this.inner.get(name));
      if (value !== undefined) {
        await this.set(name, value);
        moved++;
      }
      await this.inner.delete(name);
    }
    return moved;
  }

  private legacyValue(name: string, stored: string | undefined): string | undefined {
    const dot = stored?.lastIndexOf('.') ?? -1;
    if (stored === undefined || dot < 0 || !this.legacyKey) return undefined;
    try {
      const value = fromUtf8(fromBase64Url(stored.slice(0, dot)));
      const tag = fromBase64Url(stored.slice(dot + 1));
      const ok = this.s.crypto_auth_verify(tag, concat(utf8(LABEL.localState), field(utf8(name)), utf8(value)), this.legacyKey);
      return ok ? value : undefined;
    } catch {
      return undefined;
    }
  }
}
