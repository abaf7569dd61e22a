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

/**
 * A camera's EXIF block (APP1 "Exif", little-endian TIFF): Make, Model, DateTimeOriginal and a
 * GPS position, as phones write them. Spliced into a JPEG right after its SOI marker.
 */
export function withExif(jpeg: Buffer, tags: { make: string; model: string; taken: string; lat: number; lon: number }): Buffer {
  type Entry = { tag: number; type: number; count: number; data: Buffer };
  const ascii = (tag: number, s: string): Entry => ({ tag, type: 2, count: s.length + 1, data: Buffer.from(`${s}\0`, 'latin1') });
  const rationals = (tag: number, values: number[]): Entry => {
    const data = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => {
      data.writeUInt32LE(Math.round(v * 10000), i * 8);
      data.writeUInt32LE(10000, i * 8 + 4);
    });
    return { tag, type: 5, count: values.length, data };
  };
  const dms = (x: number) => {
    const a = Math.abs(x);
    const d = Math.floor(a);
    const m = Math.floor((a - d) * 60);
    return [d, m, (a - d - m / 60) * 3600];
  };
  // Lays out one IFD at `start` (offset from the TIFF header); values over 4 bytes follow it.
  const ifd = (start: number, entries: Entry[], next = 0): Buffer => {
    const head = Buffer.alloc(2 + entries.length * 12 + 4);
    head.writeUInt16LE(entries.length, 0);
    let extra = Buffer.alloc(0);
    entries.forEach((e, i) => {
      const at = 2 + i * 12;
      head.writeUInt16LE(e.tag, at);
      head.writeUInt16LE(e.type, at + 2);
      head.writeUInt32LE(e.count, at + 4);
      if (e.data.length <= 4) e.data.copy(head, at + 8);
      else {
        head.writeUInt32LE(start + head.length + extra.length, at + 8);
        extra = Buffer.concat([extra, e.data, Buffer.alloc(e.data.length % 2)]);
      }
    });
    head.writeUInt32LE(next, head.length - 4);
    return Buffer.concat([head, extra]);
  };
  const pointer = (tag: number, offset: number): Entry => {
    const data = Buffer.alloc(4);
    data.writeUInt32LE(offset, 0);
    return { tag, type: 4, count: 1, data };
  };
  const ifd0Entries = (exifAt: number, gpsAt: number) => [ascii(0x010f, tags.make), ascii(0x0110, tags.model), pointer(0x8769, exifAt), pointer(0x8825, gpsAt)];
  const probe = ifd(8, ifd0Entries(0, 0));
  const exifAt = 8 + probe.length;
  const exif = ifd(exifAt, [ascii(0x9003, tags.taken)]);
  const gpsAt = exifAt + exif.length;
  const gps = ifd(gpsAt, [ascii(1, tags.lat >= 0 ? 'N' : 'S'), rationals(2, dms(tags.lat)), ascii(3, tags.lon >= 0 ? 'E' : 'W'), rationals(4, dms(tags.lon))]);
  const tiff = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]), ifd(8, ifd0Entries(exifAt, gpsAt)), exif, gps]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}
