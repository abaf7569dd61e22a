import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SecretStreamEngine } from '../crypto/secretstream.ts';
import { platform } from '../files/platform.ts';
import { loadNativeEngine, ownedBodies } from './native-secretstream.ts';

// Node's platform: file paths, native SHA-256 (several times faster than the portable
// one), native libsodium for file streams ([Note: file stream engines]), and downloads written to a temporary name that becomes the real one only after
// every chunk, the size and the SHA-256 checked out.

// Native libsodium for file streams where sodium-native loads; WebAssembly otherwise. Loaded
// at the first file stream, not at import: a command that moves no file (tvault whoami)
// does not load the addon. Setting the property (a test choosing an engine) replaces it.
let native: SecretStreamEngine | undefined | null = null;
Object.defineProperty(platform, 'secretStream', {
  configurable: true,
  enumerable: true,
  get: () => (native === null ? (native = loadNativeEngine()) : native),
  set: (engine: SecretStreamEngine | undefined) => {
    native = engine;
  },
});

platform.sha256 = () => {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), hex: () => h.digest('hex') };
};

// One contiguous body per part: undici sends it as it is (a Blob it would stream piece by
// piece). A body the native engine sealed in place is one already ([Note: native parts]).
platform.partBody = (pieces) => (pieces.length === 1 && ownedBodies.has(pieces[0]!) ? pieces[0]! : Buffer.concat(pieces));

// [Note: part bodies in Node]
// Node's fetch (undici) copies a body given as bytes before sending it (the Fetch standard's
// "a copy of the bytes"): 8 MiB more per part, allocated and collected. A stream body is
// sent as it comes, so a part goes as a stream of its one body with its length said, which
// keeps the request as it was (a Content-Length, no chunked encoding) and copies nothing
// (docs/PERFORMANCE.md, "Files"). A stream is read once: each sending of a part makes its own.
platform.partRequest = (body) => ({
  body: new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(body);
      controller.close();
    },
  }, { highWaterMark: 0 }),
  headers: { 'content-length': String(body.byteLength) },
  duplex: 'half',
});

platform.openPath = async (file) => {
  const info = await stat(file);
  // Each read fills a buffer of its own that fs never writes again (Node's ReadStream), so a
  // chunk may be a view of it rather than a copy (OpenedSource.ownPieces).
  return { stream: createReadStream(file, { highWaterMark: 1024 * 1024 }), size: info.size, ownPieces: true };
};

platform.writeFileAtomically = async (file, data) => {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await pipeline(Readable.from(data), createWriteStream(temp, { mode: 0o600, flags: 'wx' }));
    const fd = await open(temp, 'r');
    await fd.sync();
    await fd.close();
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
};

/** A Node Readable of a web stream (e.g. what vault.openFile returns). */
export function toNodeReadable(stream: ReadableStream<Uint8Array>): Readable {
  return Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>);
}
