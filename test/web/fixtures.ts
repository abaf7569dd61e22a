// Evidence for the browser tests: a real photo (a PNG with a pattern, so the device can
// draw a thumbnail of it) and a large "video" of random bytes, written to a temp folder.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Tap = { teardown(fn: () => unknown): void };

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A width × height RGB PNG with a gradient and a seed-dependent stripe. */
export function png(width: number, height: number, seed = 1): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const stripe = (x + y * seed) % 17 < 3;
      row[1 + x * 3] = stripe ? 255 : (x * 255) / width;
      row[2 + x * 3] = (y * 255) / height;
      row[3 + x * 3] = stripe ? 0 : 128;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function evidenceFolder(t: Tap): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tv-evidence-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writePhoto(dir: string, name: string, seed = 1): Promise<{ path: string; sha256: string }> {
  const bytes = png(640, 480, seed);
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return { path: file, sha256: sha256(bytes) };
}

/** `mib` MiB of random bytes, written a MiB at a time; returns its SHA-256. */
export async function writeRandom(dir: string, name: string, mib: number): Promise<{ path: string; sha256: string; size: number }> {
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let i = 0; i < mib; i++) {
    const block = randomBytes(1 << 20);
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { path: file, sha256: hash.digest('hex'), size: mib << 20 };
}
