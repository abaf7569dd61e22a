// What a client remembers between calls: versions seen (rollback detection), the contact
// list's version, the audit log's key and checkpoint, uploads to resume. No secret key and
// no plaintext; entry names carry record ids, so a store kept on disk is wrapped in an
// IntegrityStateStore, which encrypts names and values ([Note: local state at rest]).

export interface StateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Removes an entry (stores that cannot, leave it). */
  delete?(key: string): Promise<void>;
  /** Every entry's name, for migrating an older format. */
  names?(): Promise<string[]>;
}

export class MemoryStateStore implements StateStore {
  private readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async names(): Promise<string[]> {
    return [...this.data.keys()];
  }
}
