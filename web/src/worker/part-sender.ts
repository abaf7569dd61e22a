// A worker that only sends file parts, started by the vault worker (part-fetch.ts): the body
// of bytes is copied by fetch on this thread, not on the one that encrypts, and goes to the
// network service without passing through the browser process as a Blob would ([Note: parts
// sent from a thread of their own] in the client library). It holds no key: a part is
// ciphertext, and the request carries the session token the vault worker gave it.
import { ANSWER_LIMIT, type PartAnswer, type PartJob } from './part-fetch.ts';

const post = (answer: PartAnswer, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(answer, transfer);

/** The answer's body up to ANSWER_LIMIT; the rest is not read (its connection is dropped). */
async function answerBody(res: Response): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const pieces: Uint8Array[] = [];
  let read = 0;
  try {
    while (read <= ANSWER_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value);
      read += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const out = new Uint8Array(Math.min(read, ANSWER_LIMIT + 1));
  let at = 0;
  for (const piece of pieces) {
    const n = Math.min(piece.length, out.length - at);
    out.set(piece.subarray(0, n), at);
    at += n;
  }
  return out;
}

self.onmessage = async (e: MessageEvent<PartJob>) => {
  const { id, url, method, headers, body } = e.data;
  try {
    // A part is never redirected: an answer that redirects it fails as the network would.
    const res = await fetch(url, { method, headers, body: body as Uint8Array<ArrayBuffer>, redirect: 'error' });
    const answer = await answerBody(res);
    post({ id, status: res.status, statusText: res.statusText, headers: [...res.headers], body: answer }, [answer.buffer]);
  } catch (err) {
    post({ id, failed: (err as Error | null)?.message ?? 'the part could not be sent' });
  }
};
