// A server (or a proxy in front of it) that answers a part's PUT before it has read the body
// ([Note: a part's body is sent to its end before its memory is taken again]). Node sends a
// part from the part's own memory, and the native engine seals a later part into that memory
// once the part is released; released too early, the server would read another part's
// ciphertext as the rest of this one, and the upload would look fine until a download.
//
// The early server here is a raw socket in front of the test server: it answers 200 to a part
// as soon as the request's head arrives, reads the body slowly, then hands the real server
// exactly the bytes it read. Whatever it read for a part must be that part's ciphertext, or a
// refused part: never silently another's.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import t, { type Test as Tap } from 'tap';
import { Vault, toNodeReadable } from '@testimony-vault/client/node';
import { build, handle, testClient } from './helper.ts';

const server = await build(t);

/** Answers each PUT at once (`whole`: a complete answer; else its head only, ended once the body is read), reading the body in trickles. */
async function earlyServer(t: Tap, whole: boolean) {
  const bodies = new Map<string, Promise<Buffer>>();
  const settle = new Map<string, (b: Buffer) => void>();
  const bodyOf = (path: string) => {
    if (!bodies.has(path)) bodies.set(path, new Promise((r) => settle.set(path, r)));
    return bodies.get(path)!;
  };
  const raw = net.createServer((sock) => {
    let head = Buffer.alloc(0);
    let length = -1;
    const got: Buffer[] = [];
    let n = 0;
    let done = (_b: Buffer) => {};
    // Read 2 ms in every 10: slower than the client seals parts.
    const trickle = setInterval(() => {
      sock.resume();
      setTimeout(() => sock.pause(), 2);
    }, 10);
    const finish = () => {
      clearInterval(trickle);
      done(Buffer.concat(got));
    };
    sock.on('data', (d: Buffer) => {
      if (length < 0) {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const path = /^PUT (\S+)/.exec(head.toString())![1]!;
        bodyOf(path);
        done = settle.get(path)!;
        length = Number(/content-length: (\d+)/i.exec(head.subarray(0, end).toString())![1]);
        d = head.subarray(end + 4);
        sock.write(whole ? 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}' : 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n');
      }
      got.push(Buffer.from(d));
      n += d.length;
      if (n >= length) {
        if (!whole) sock.end('2\r\n{}\r\n0\r\n\r\n');
        finish();
      }
    });
    sock.on('close', finish);
    sock.on('error', finish);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  t.teardown(() => raw.close());
  const url = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`;

  const forwarded: Promise<number>[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    if (init?.method === 'PUT' && /\/parts\/\d+$/.test(String(input))) {
      const path = new URL(String(input)).pathname;
      const res = await fetch(url + path, init); // the client's own body, through Node's fetch
      // What the early server read, to the real server: stored if it is a whole part.
      forwarded.push(bodyOf(path).then(async (bytes) => {
        const headers = new Headers(init.headers);
        headers.delete('content-length'); // what was read, however long
        return (await fetch(input, { ...init, headers, body: new Uint8Array(bytes), duplex: undefined } as RequestInit)).status;
      }));
      return res;
    }
    if (String(input).endsWith('/complete')) await Promise.all(forwarded);
    return fetch(input, init);
  };
  return { fetchFn, forwarded };
}

for (const whole of [false, true]) {
  t.test(whole ? 'an answer complete before the body is read: nothing of another part is ever stored in its place' : 'an answer sent before the body is read, ended after: the stored file opens', async (t) => {
    const early = await earlyServer(t, whole);
    const vault = (await Vault.register({ server: server.url, handle: handle('early'), passphrase: 'p', ...testClient, fetch: early.fetchFn })).vault;
    const { id } = await vault.createRecord({ title: 'r', narrative: 'x' });
    const data = randomBytes(40 * 1024 * 1024); // five parts of 8 MiB: some sealed while others are read
    let uploaded: { fileId: string } | undefined;
    let refused: unknown;
    try {
      uploaded = await vault.attachFile(id, data, { name: 'v.mp4', type: 'video/mp4' });
    } catch (err) {
      refused = err;
    }
    const statuses = await Promise.all(early.forwarded);
    if (!whole) {
      t.ok(uploaded, 'the upload completes');
      t.same(statuses, statuses.map(() => 200), 'every part reached the server whole');
    } else {
      // Node's fetch resets a connection whose answer ended before its request: a part is cut
      // short, which the real server refuses, and the upload fails aloud rather than storing
      // a file it cannot open. (Should every part get through, the file must open.)
      t.ok(uploaded || refused, 'the upload ended one way or the other');
      t.comment(`parts as the real server answered them: ${statuses.join(' ')}; upload ${uploaded ? 'completed' : `refused: ${(refused as Error).message}`}`);
    }
    if (uploaded) {
      const back: Buffer[] = [];
      for await (const piece of toNodeReadable(await vault.openFile(id, uploaded.fileId))) back.push(piece as Buffer);
      t.ok(Buffer.concat(back).equals(data), 'what was stored opens, byte for byte: no part carries another part\'s bytes');
    }
  });
}
