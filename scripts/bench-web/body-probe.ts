// npx tsx scripts/bench-web/body-probe.ts [--parts 32] [--rounds 2] [--only blob,socket,socket-1m] [--h2]
// --h2: the sink speaks HTTP/2 over TLS (a certificate made for the run, which this Chromium
// is told to accept), where Chromium streams a request body: e.g. --h2 --only blob,stream.
// What the browser's upload costs apart from the client library (docs/PERFORMANCE.md,
// "Web client"): in a module worker of headless Chromium (over the bare DevTools pipe, no
// Network domain: [Note: uploads timed without Playwright]), (1) PUT `parts` × 8 MiB to a
// sink in this process with each kind of request body Chromium offers over HTTP/1.1, two in
// flight as the uploader sends them, with the CPU of every Chromium process and of the sink;
// (2) libsodium's WebAssembly (the build the web client ships) on 256 MiB: secretstream in
// place, BLAKE2b-256 per MiB, SHA-256 whole; and the same in this Node process with
// sodium-native and Node's SHA-256, as tvault computes them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';
import { BareChromium, BareTab } from './cdp.ts';
import { chromiumCpu, cpuDelta } from './chromium.ts';
import { testCertificate } from '../../test/tls.ts';

const { values: args } = parseArgs({ options: { parts: { type: 'string', default: '32' }, rounds: { type: 'string', default: '2' }, only: { type: 'string' }, h2: { type: 'boolean', default: false } } });
const KINDS = args.only?.split(',') ?? ['blob', 'bytes', 'buffer', 'xhr', 'stream', 'socket', 'socket-1m', 'socket-64k'];
const PARTS = Number(args.parts);
const ROUNDS = Number(args.rounds);
const PART = 8 * 1024 * 1024;
/** The few members of sodium-native used here (it ships no types). */
interface SodiumNative {
  crypto_secretstream_xchacha20poly1305_KEYBYTES: number;
  crypto_secretstream_xchacha20poly1305_STATEBYTES: number;
  crypto_secretstream_xchacha20poly1305_HEADERBYTES: number;
  crypto_secretstream_xchacha20poly1305_ABYTES: number;
  crypto_secretstream_xchacha20poly1305_TAG_MESSAGE: number;
  randombytes_buf(b: Buffer): void;
  crypto_secretstream_xchacha20poly1305_keygen(k: Buffer): void;
  crypto_secretstream_xchacha20poly1305_init_push(state: Buffer, header: Buffer, key: Buffer): void;
  crypto_secretstream_xchacha20poly1305_push(state: Buffer, c: Buffer, m: Buffer, ad: Buffer | null, tag: number): number;
}
const sodiumNative = createRequire(import.meta.url)('sodium-native') as SodiumNative;
const MODULES = path.resolve(import.meta.dirname, '../../node_modules');

// The worker, plain JavaScript. Bodies: 'blob' (what the uploader sends now), 'bytes' (a
// Uint8Array), 'buffer' (its ArrayBuffer), 'xhr' (XMLHttpRequest with the array), 'stream'
// (a ReadableStream, duplex 'half': Chromium allows it over HTTP/2 only, so expect a refusal).
const WORKER = `
import sodium from '/sodium/libsodium-wrappers.mjs';
const PART = ${PART};
const random = (n) => { const a = new Uint8Array(n); for (let i = 0; i < n; i += 65536) crypto.getRandomValues(a.subarray(i, i + 65536)); return a; };
const put = {
  blob: (u8) => fetch('/sink', { method: 'PUT', body: new Blob([u8]) }),
  bytes: (u8) => fetch('/sink', { method: 'PUT', body: u8.slice() }),
  buffer: (u8) => fetch('/sink', { method: 'PUT', body: u8.slice().buffer }),
  xhr: (u8) => new Promise((ok, no) => { const x = new XMLHttpRequest(); x.open('PUT', '/sink'); x.onload = () => ok(x); x.onerror = () => no(new Error('xhr failed')); x.send(u8.slice()); }),
  stream: (u8) => fetch('/sink', { method: 'PUT', duplex: 'half', body: new ReadableStream({ start(c) { c.enqueue(u8.slice()); c.close(); } }) }),
};
async function send(kind, parts) {
  const data = random(PART);
  const t0 = performance.now();
  let blocked = 0;
  const inflight = [];
  for (let i = 0; i < parts; i++) {
    while (inflight.length >= 2) await inflight.shift();
    const b0 = performance.now();
    const p = put[kind](data);
    blocked += performance.now() - b0;
    inflight.push(p.then((r) => { if (r.status !== undefined && r.status !== 204) throw new Error('status ' + r.status); }));
  }
  await Promise.all(inflight);
  return { ms: performance.now() - t0, blockedMs: blocked };
}
// The same bytes over one WebSocket to the sink: binary messages of 'message' bytes, the sink
// answering each part (8 MiB) with one small text message; at most two parts unanswered.
async function sendSocket(parts, message) {
  const data = random(PART);
  const ws = new WebSocket(location.origin.replace('http', 'ws') + '/socket');
  ws.binaryType = 'arraybuffer';
  await new Promise((ok, no) => { ws.onopen = ok; ws.onerror = () => no(new Error('socket refused')); });
  const perPart = PART / message;
  let answered = 0;
  let wake = null;
  ws.onmessage = () => { answered += 1; if (wake) { const w = wake; wake = null; w(); } };
  const t0 = performance.now();
  let blocked = 0;
  for (let sent = 0; sent < parts * perPart; sent++) {
    while (sent - answered * perPart >= 2 * perPart) await new Promise((ok) => (wake = ok));
    const b0 = performance.now();
    ws.send(data.subarray((sent % perPart) * message, (sent % perPart + 1) * message));
    blocked += performance.now() - b0;
  }
  while (answered < parts) await new Promise((ok) => (wake = ok));
  const ms = performance.now() - t0;
  ws.close();
  return { ms, blockedMs: blocked };
}
function crypt(mib) {
  const s = sodium, m = s.libsodium, MiB = 1024 * 1024;
  const data = random(MiB);
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const { state } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const plain = m._malloc(MiB), sealed = m._malloc(MiB + 17);
  m.HEAPU8.set(data, plain);
  let t0 = performance.now();
  for (let i = 0; i < mib; i++) {
    m.HEAPU8.set(data, plain);
    if (m._crypto_secretstream_xchacha20poly1305_push(state, sealed, 0, plain, MiB, 0, 0, 0, 0, 0) !== 0) throw new Error('push');
  }
  const secretstream = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < mib; i++) s.crypto_generichash(32, data, null);
  const blake2b = performance.now() - t0;
  t0 = performance.now();
  const h = s.crypto_hash_sha256_init();
  for (let i = 0; i < mib; i++) s.crypto_hash_sha256_update(h, data);
  s.crypto_hash_sha256_final(h);
  const sha256 = performance.now() - t0;
  m._free(plain); m._free(sealed);
  return { secretstream, blake2b, sha256 };
}
// A part's Blob made from an array of its own, from a view of libsodium's memory (what the
// uploader does), and from a copy of that view; each 'parts' times, ms in all.
function blobs(parts) {
  const m = sodium.libsodium;
  const own = random(PART);
  const at = m._malloc(PART);
  m.HEAPU8.set(own, at);
  const kept = [];
  const time = (make) => { const t0 = performance.now(); for (let i = 0; i < parts; i++) kept.push(make()); const ms = performance.now() - t0; kept.length = 0; return ms; };
  const r = {
    ownArray: time(() => new Blob([own])),
    wasmView: time(() => new Blob([m.HEAPU8.subarray(at, at + PART)])),
    wasmViewCopied: time(() => new Blob([m.HEAPU8.slice(at, at + PART)])),
    copyOnly: time(() => m.HEAPU8.slice(at, at + PART)),
  };
  m._free(at);
  return r;
}
// A File read whole as the uploader reads it (8 MiB slices, each a fresh array), and through
// a BYOB reader of its stream into one reused 8 MiB buffer, where Chromium offers one.
async function read(file, how) {
  const t0 = performance.now();
  let n = 0;
  if (how === 'slices') {
    for (let at = 0; at < file.size; at += PART) n += (await file.slice(at, at + PART).arrayBuffer()).byteLength;
  } else {
    const reader = file.stream().getReader({ mode: 'byob' });
    let buffer = new ArrayBuffer(PART);
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      n += value.byteLength;
      buffer = value.buffer;
    }
  }
  if (n !== file.size) throw new Error('read ' + n + ' of ' + file.size);
  return { ms: performance.now() - t0 };
}
self.onmessage = async ({ data: { kind, parts, mib, file, how } }) => {
  try {
    await sodium.ready;
    self.postMessage(kind === 'crypto' ? crypt(mib) : kind === 'blobs' ? blobs(parts) : kind === 'read' ? await read(file ?? self.__file, how) : kind === 'socket' ? await sendSocket(parts, PART) : kind === 'socket-1m' ? await sendSocket(parts, PART / 8) : kind === 'socket-64k' ? await sendSocket(parts, PART / 128) : await send(kind, parts));
  } catch (err) { self.postMessage({ error: String(err && err.message || err) }); }
};
`;

const PAGE = '<!doctype html><meta charset="utf-8"><title>probe</title><input type="file" id="f">';

let sunk = 0;
async function serve(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  if (req.method === 'PUT') {
    for await (const piece of req) sunk += (piece as Buffer).length;
    res.writeHead(204).end();
    return;
  }
  if (url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  if (url === '/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(WORKER);
  if (url === '/sodium/libsodium-wrappers.mjs') {
    const text = await readFile(path.join(MODULES, 'libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs'), 'utf8');
    return res.writeHead(200, { 'content-type': 'text/javascript' }).end(text.replace('from"libsodium-sumo"', 'from"/sodium/libsodium-sumo.mjs"'));
  }
  if (url === '/sodium/libsodium-sumo.mjs') {
    return res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(path.join(MODULES, 'libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs')));
  }
  res.writeHead(404).end();
}

/** The same loops in Node: sodium-native's secretstream (in place, as tvault's engine) and Node's SHA-256. */
function nodeCrypto(mib: number) {
  const MiB = 1024 * 1024;
  const data = Buffer.alloc(MiB);
  sodiumNative.randombytes_buf(data);
  const key = Buffer.alloc(sodiumNative.crypto_secretstream_xchacha20poly1305_KEYBYTES);
  sodiumNative.crypto_secretstream_xchacha20poly1305_keygen(key);
  const state = Buffer.alloc(sodiumNative.crypto_secretstream_xchacha20poly1305_STATEBYTES);
  const header = Buffer.alloc(sodiumNative.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
  sodiumNative.crypto_secretstream_xchacha20poly1305_init_push(state, header, key);
  const out = Buffer.alloc(MiB + sodiumNative.crypto_secretstream_xchacha20poly1305_ABYTES);
  let t0 = performance.now();
  for (let i = 0; i < mib; i++) sodiumNative.crypto_secretstream_xchacha20poly1305_push(state, out, data, null, sodiumNative.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  const secretstream = performance.now() - t0;
  t0 = performance.now();
  const h = createHash('sha256');
  for (let i = 0; i < mib; i++) h.update(data);
  h.digest();
  const sha256 = performance.now() - t0;
  return { secretstream, sha256 };
}

async function main() {
  const handler = (req: IncomingMessage, res: ServerResponse) => void serve(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  const tls = args.h2 ? await testCertificate() : undefined;
  const server = tls ? createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, handler as never) : createServer(handler);
  // The WebSocket sink: counts each binary message and answers it (HTTP/1.1 only).
  if (!tls) new WebSocketServer({ server: server as ReturnType<typeof createServer>, path: '/socket', maxPayload: PART }).on('connection', (socket) => {
    let count = 0;
    socket.on('message', (data: Buffer) => {
      sunk += data.length;
      // One answer a part (8 MiB), whatever the message size.
      if (data.length >= PART || ++count % Math.ceil(PART / data.length) === 0) socket.send('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  const chromium = await BareChromium.launch(tls ? [tls.chromiumFlag] : []);
  try {
    const tab = await BareTab.open(chromium, origin);
    await tab.run(`(window.__w = new Worker('/worker.js', { type: 'module' }), true)`);
    const ask = <T>(message: object) => tab.run<T & { error?: string }>(`new Promise((ok) => { window.__w.onmessage = (e) => ok(e.data); window.__w.postMessage(${JSON.stringify(message)}); })`);
    const mb = (PARTS * PART) / 1e6;
    console.log(`Making ${PARTS} Blobs of 8 MiB in the worker (ms in all):\n`);
    console.log('| round | from an array of its own | from a view of libsodium\'s memory (the uploader now) | from a copy of that view | the copy alone |\n| --- | ---: | ---: | ---: | ---: |');
    for (let round = 0; round < (args.only ? 0 : ROUNDS + 1); round++) {
      const b = await ask<{ ownArray: number; wasmView: number; wasmViewCopied: number; copyOnly: number }>({ kind: 'blobs', parts: PARTS });
      if (b.error) throw new Error(b.error);
      console.log(`| ${round + 1} | ${b.ownArray.toFixed(0)} | ${b.wasmView.toFixed(0)} | ${b.wasmViewCopied.toFixed(0)} | ${b.copyOnly.toFixed(0)} |`);
    }
    console.log('');
    console.log(`Request bodies: ${PARTS} × 8 MiB PUT to a sink in this process, two in flight; load ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}\n`);
    console.log('| body | MB/s | worker blocked in the call (s) | renderer CPU (s) | browser CPU (s) | network service CPU (s) | sink (this process) CPU (s) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        const [c0, n0] = [await chromiumCpu(), process.cpuUsage()];
        sunk = 0;
        const r = await ask<{ ms: number; blockedMs: number }>({ kind, parts: PARTS });
        const [c1, n1] = [await chromiumCpu(), process.cpuUsage(n0)];
        if (r.error) {
          console.log(`| ${kind} | refused: ${r.error} | | | | | |`);
          continue;
        }
        if (sunk !== PARTS * PART) throw new Error(`${kind}: the sink received ${sunk} bytes`);
        const d = cpuDelta(c1, c0);
        const cpu = (k: string) => (d.get(k) ?? 0).toFixed(2);
        console.log(`| ${kind} | ${(mb / (r.ms / 1000)).toFixed(1)} | ${(r.blockedMs / 1000).toFixed(2)} | ${cpu('renderer (page + worker)')} | ${cpu('browser')} | ${cpu('network service')} | ${((n1.user + n1.system) / 1e6).toFixed(2)} |`);
      }
    }
    if (args.only) return; // the request bodies named, nothing else
    // Reading a 256 MiB file given to the page's file input, as a picked file is.
    const work = await mkdtemp(path.join(tmpdir(), 'tv-probe-'));
    try {
      const file = path.join(work, 'source.bin');
      await writeFile(file, randomBytes(256 * 1024 * 1024));
      const input = await chromium.send<{ result: { objectId: string } }>('Runtime.evaluate', { expression: `document.getElementById('f')` }, tab.session);
      await chromium.send('DOM.setFileInputFiles', { files: [file], objectId: input.result.objectId }, tab.session);
      console.log(`\nReading a 256 MiB picked file in the worker:\n`);
      console.log('| how | MB/s | renderer CPU (s) | browser CPU (s) |\n| --- | ---: | ---: | ---: |');
      for (let round = 0; round < ROUNDS; round++) {
        for (const how of ['slices', 'byob']) {
          const c0 = await chromiumCpu();
          const r = await tab.run<{ ms: number; error?: string }>(`new Promise((ok) => { window.__w.onmessage = (e) => ok(e.data); window.__w.postMessage({ kind: 'read', how: ${JSON.stringify(how)}, file: document.getElementById('f').files[0] }); })`);
          const d = cpuDelta(await chromiumCpu(), c0);
          if (r.error) console.log(`| ${how} | refused: ${r.error} | | |`);
          else console.log(`| ${how} | ${((256 * 1024 * 1024) / 1e6 / (r.ms / 1000)).toFixed(0)} | ${(d.get('renderer (page + worker)') ?? 0).toFixed(2)} | ${(d.get('browser') ?? 0).toFixed(2)} |`);
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const MIB = 256;
    console.log(`\nCrypto on ${MIB} MiB, 1 MiB at a time (MB/s), the browser's worker and this Node process interleaved:\n`);
    console.log('| round | secretstream, WebAssembly (browser) | secretstream, sodium-native (Node) | BLAKE2b-256, WebAssembly | SHA-256, WebAssembly | SHA-256, Node |\n| --- | ---: | ---: | ---: | ---: | ---: |');
    const rate = (ms: number) => ((MIB * 1024 * 1024) / 1e6 / (ms / 1000)).toFixed(0);
    for (let round = 0; round < ROUNDS + 1; round++) {
      const w = await ask<{ secretstream: number; blake2b: number; sha256: number }>({ kind: 'crypto', mib: MIB });
      if (w.error) throw new Error(w.error);
      const n = nodeCrypto(MIB);
      console.log(`| ${round + 1} | ${rate(w.secretstream)} | ${rate(n.secretstream)} | ${rate(w.blake2b)} | ${rate(w.sha256)} | ${rate(n.sha256)} |`);
    }
    await tab.close();
  } finally {
    await chromium.close();
    server.close();
    if (tls) await tls.remove();
  }
}

await main();
