// A Blob read through its stream's BYOB reader into three reused buffers ([Note: reading a
// Blob into reused buffers]): the bytes come out whole and in order; a piece stays as it was
// while the next one is given out (the chunker holds back one chunk of it); a view kept
// longer reads as empty, never as another piece's bytes; and where the stream has no BYOB
// reader, the Blob is read in slices as before.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { openSource } from '../client-lib/src/files/sources.ts';

const SLICE = 8 * 1024 * 1024;

t.test('pieces of a Blob through the ring: whole, in order, each intact until the one after next', async (t) => {
  const bytes = randomBytes(4 * SLICE + 12_345);
  const opened = await openSource(new Blob([bytes]));
  t.equal(opened.size, bytes.length);
  t.ok(opened.ownPieces, 'chunks may be views of the pieces');
  const pieces: Uint8Array[] = [];
  let at = 0;
  for await (const piece of opened.stream) {
    t.ok(Buffer.from(piece).equals(bytes.subarray(at, at + piece.length)), `piece ${pieces.length} holds the file's bytes at ${at}`);
    const previous = pieces.at(-1);
    if (previous) {
      const start = at - previous.length;
      t.ok(Buffer.from(previous).equals(bytes.subarray(start, at)), `piece ${pieces.length - 1} unchanged while the next is given out`);
    }
    const older = pieces.at(-2);
    // Given this piece, the source is already reading the next into that older piece's buffer (not after the last).
    if (older && at + piece.length < bytes.length) t.equal(older.length, 0, `piece ${pieces.length - 2} reads as empty once the one after next is out: its buffer was taken back, not overwritten under it`);
    pieces.push(piece);
    at += piece.length;
  }
  t.equal(at, bytes.length, 'every byte, once');
  t.ok(Buffer.from(pieces.at(-1)!).equals(bytes.subarray(4 * SLICE)), 'the last piece, still whole once the reading ended');
});

t.test('a Blob whose stream has no BYOB reader is read in slices', async (t) => {
  const bytes = randomBytes(2 * SLICE + 99);
  const blob = new Blob([bytes]);
  blob.stream = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() }) as ReturnType<Blob['stream']>;
  const out: Uint8Array[] = [];
  for await (const piece of (await openSource(blob)).stream) out.push(Uint8Array.from(piece));
  t.same(out.map((p) => p.length), [SLICE, SLICE, 99]);
  t.ok(Buffer.concat(out).equals(bytes));
});
