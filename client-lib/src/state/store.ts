// What a client remembers between calls: versions seen (rollback detection) and,
// later, pinned keys and checkpoints. Only public or integrity data, never secrets.

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
