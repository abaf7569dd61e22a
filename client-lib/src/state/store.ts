// What a client remembers between calls: versions seen (rollback detection) and,
// later, pinned keys and checkpoints. No secret key and no plaintext, but not nothing:
// record ids and version counts, under keys derived from the account's public signing
// key, all in the clear (docs/THREAT-MODEL.md, "A device is seized").

export interface StateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export class MemoryStateStore implements StateStore {
  private readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
}
