/**
 * Re-cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter or
 * empty) and says which one is last, so it can carry the final tag. One chunk is held
 * back until the next byte proves it is not the last. With `views`, a chunk that lies whole
 * within one piece is a view of it, not a copy: only for sources whose pieces nothing writes
 * again (OpenedSource.ownPieces). With `reuse`, a chunk copied out of the pieces is copied
 * into memory a chunk given out two chunks earlier had: only for a consumer that is done with
 * each chunk before it asks for the next (as every one in the uploader is), which saves a
 * fresh chunk's allocation and collection each time.
 */
export async function* chunksOf(source: AsyncIterable<Uint8Array>, size: number, views = false, reuse = false): AsyncIterable<{ chunk: Uint8Array; last: boolean }> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer');
  let buffer: Uint8Array | undefined;
  /** A copied chunk the consumer is done with (asked for the one after it), with `reuse`. */
  let spare: Uint8Array | undefined;
  let filled = 0;
  let held: Uint8Array | undefined;
  /** Whether held is this function's own memory (a copy), not a view of a piece. */
  let heldOwn = false;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      let full: Uint8Array | undefined;
      let own = false;
      if (views && filled === 0 && piece.length - offset >= size) {
        full = piece.subarray(offset, offset + size);
        offset += size;
      } else {
        if (!buffer) {
          buffer = spare ?? new Uint8Array(size);
          spare = undefined;
        }
        const n = Math.min(size - filled, piece.length - offset);
        buffer.set(piece.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === size) {
          full = buffer;
          own = true;
          buffer = undefined;
          filled = 0;
        }
      }
      if (full) {
        if (held) {
          yield { chunk: held, last: false };
          // Asked for the next: the consumer is done with held (a piece's view is not ours to write).
          if (reuse && heldOwn) spare = held;
        }
        held = full;
        heldOwn = own;
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
