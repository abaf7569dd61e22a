import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StateStore } from '../state/store.ts';

/**
 * Client state in one JSON file readable by its owner only. Used alone it holds record ids
 * and version numbers in the clear: wrap it in an IntegrityStateStore, which encrypts names
 * and values ([Note: local state at rest], docs/THREAT-MODEL.md, device seizure).
 * Writes go to a temporary file renamed into place, so a crash never leaves half a file.
 */
export class FileStateStore implements StateStore {
  private cache: Record<string, string> | undefined;

  constructor(private readonly file: string) {}

  private async load(): Promise<Record<string, string>> {
    if (this.cache) return this.cache;
    try {
      this.cache = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.cache = {};
    }
    return this.cache;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.load())[key];
  }

  async names(): Promise<string[]> {
    return Object.keys(await this.load());
  }

  async set(key: string, value: string): Promise<void> {
    const data = await this.load();
    data[key] = value;
    await this.save(data);
  }

  async delete(key: string): Promise<void> {
    const data = await this.load();
    if (!(key in data)) return;
    delete data[key];
    await this.save(data);
  }

  private async save(data: Record<string, string>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}
