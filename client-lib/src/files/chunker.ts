/**
 * Re-cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter or
 * empty) and says which one is last, so it can carry the final tag. One chunk is held
 * back until the next byte proves it is not the last. With `views`, a chunk that lies whole
 * within one piece is a view of it, not a copy: only for sources whose pieces nothing writes
 * again (OpenedSource.ownPieces).
 */
export async function* chunksOf(source: AsyncIterable<Uint8Array>, size: number, views = false): AsyncIterable<{ chunk: Uint8Array; last: boolean }> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer');
  let buffer: Uint8Array | undefined;
  let filled = 0;
  let held: Uint8Array | undefined;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      let full: Uint8Array | undefined;
      if (views && filled === 0 && piece.length - offset >= size) {
        full = piece.subarray(offset, offset + size);
        offset += size;
      } else {
        buffer ??= new Uint8Array(size);
        const n = Math.min(size - filled, piece.length - offset);
        buffer.set(piece.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === size) {
          full = buffer;
          buffer = undefined;
          filled = 0;
        }
      }
      if (full) {
        if (held) yield { chunk: held, last: false };
        held = full;
      }
    }
  }
  if (filled > 0) {
    if (held) yield { chunk: held, last: false };
    yield { chunk: buffer!.subarray(0, filled), last: true };
  } else {
    yield { chunk: held ?? new Uint8Array(0), last: true };
  }
}
