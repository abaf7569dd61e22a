import { concat } from '@testimony-vault/protocol';
import { platform, type Platform } from './platform.ts';

// [Note: streamed part bodies]
// A browser sends a part as a Blob by default ([Note: hashing files in a browser] and
// partBody in platform.ts): Chromium copies a Blob into its browser process, and its network
// service reads it from there, about 2 CPU-s per 256 MiB (docs/PERFORMANCE.md, "Web
// client"). A request body given as a stream goes from the page's process to the network
// service directly, but Chromium sends one only over HTTP/2 (or QUIC): over HTTP/1.1 the
// request fails. So the application says which its connection is (the web client reads its
// page's `nextHopProtocol`) and streams only over HTTP/2. The body is one copy of the part
// (the engine's view of it is overwritten by the next part), a stream of that one piece,
// made again for each sending; it has no Content-Length (a browser may not set one), which
// HTTP/2 does not need: the server reads the part to its stream's end, bounded as ever.

let before: Pick<Platform, 'partBody' | 'partRequest'> | undefined;

/** Sends each file part as a request stream (`true`: only where the connection is HTTP/2 or QUIC), or as before (`false`). */
export function streamPartBodies(on: boolean): void {
  if (!on) {
    if (before) Object.assign(platform, before);
    before = undefined;
    return;
  }
  before ??= { partBody: platform.partBody, partRequest: platform.partRequest };
  platform.partBody = (pieces) => (pieces.length === 1 ? pieces[0]!.slice() : concat(...pieces));
  platform.partRequest = (body) => ({
    body: new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(body);
          controller.close();
        },
      },
      { highWaterMark: 0 },
    ),
    headers: {},
    duplex: 'half',
  });
}
