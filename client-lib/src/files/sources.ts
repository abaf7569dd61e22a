import { VaultError } from '../errors.ts';
import { platform } from './platform.ts';

/** What attachFile accepts: a path (Node entry point), a web stream, a Blob, bytes, or any async iterable of bytes (a Node Readable). */
export type FileSource = string | ReadableStream<Uint8Array> | Blob | Uint8Array | AsyncIterable<Uint8Array>;

export interface OpenedSource {
  stream: AsyncIterable<Uint8Array>;
  size: number | undefined;
}

export async function* fromWebStream(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

export async function openSource(source: FileSource): Promise<OpenedSource> {
  if (typeof source === 'string') {
    if (!platform.openPath) throw new VaultError('file paths need the Node entry point: import "@testimony-vault/client/node"');
    return platform.openPath(source);
  }
  if (source instanceof Uint8Array) return { stream: once(source), size: source.length };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { stream: fromWebStream(source.stream()), size: source.size };
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return { stream: fromWebStream(source), size: undefined };
  if (Symbol.asyncIterator in source) return { stream: source, size: undefined };
  throw new VaultError('unsupported file source');
}
