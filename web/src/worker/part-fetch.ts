// The vault worker's side of the part sender ([Note: parts sent from a thread of their own]
// in the client library): a fetch for file parts that hands each request to a worker of
// its own (part-sender.ts) and gives back its answer as a Response. The sender is started
// with the first part and ends with this worker (lock terminates it, and its children with
// it). Should it fail to start or die, parts go through this worker's own fetch again.

/** A part's request, as it goes to the sender (the body is copied, so a retry can send it again). */
export interface PartJob {
  id: number;
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** The sender's answer: the response, its body cut at ANSWER_LIMIT, or why the request failed. */
export type PartAnswer =
  | { id: number; status: number; statusText: string; headers: [string, string][]; body: Uint8Array }
  | { id: number; failed: string };

/** More than any answer to a part (the library drops an answer past this too). */
export const ANSWER_LIMIT = 64 * 1024;

/** Statuses whose Response may carry no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function partSenderFetch(): typeof fetch {
  let sender: Worker | undefined;
  let broken = false;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (answer: PartAnswer) => void; reject: (err: Error) => void }>();

  const start = (): Worker => {
    const worker = new Worker(new URL('./part-sender.ts', import.meta.url), { type: 'module', name: 'parts' });
    worker.onmessage = (e: MessageEvent<PartAnswer>) => {
      const w = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      w?.resolve(e.data);
    };
    worker.onerror = () => {
      // It could not start (or died): what it held fails as a dropped connection would, and is retried here.
      broken = true;
      worker.terminate();
      for (const w of waiting.values()) w.reject(new TypeError('the part sender stopped'));
      waiting.clear();
    };
    return worker;
  };

  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const body = init?.body;
    if (broken || !(body instanceof Uint8Array) || typeof input !== 'string') return fetch(input, init);
    sender ??= start();
    const id = nextId++;
    const job: PartJob = { id, url: input, method: init?.method ?? 'PUT', headers: [...new Headers(init?.headers)], body };
    const answer = await new Promise<PartAnswer>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      sender!.postMessage(job);
    });
    if ('failed' in answer) throw new TypeError(answer.failed);
    return new Response(NULL_BODY.has(answer.status) ? null : (answer.body as Uint8Array<ArrayBuffer>), { status: answer.status, statusText: answer.statusText, headers: answer.headers });
  }) as typeof fetch;
}
