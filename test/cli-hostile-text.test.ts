import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Vault } from '@testimony-vault/client';
import { build, handle, testClient } from './helper.ts';
import { tvaultIn } from './tvault-run.ts';

// A fellow user who shares a record, and a hostile server, try to drive the reviewer's
// terminal: every string of theirs carries escape sequences. Nothing of it may reach the
// terminal raw ([Note: text from other parties on a terminal] in cli/src/safe-text.ts).

const server = await build(t);
const work = await mkdtemp(path.join(tmpdir(), 'tvault-hostile-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const tvault = tvaultIn(work);

// Erase the line and go back to its start (CSI), set the clipboard (OSC 52), a hidden link
// (OSC 8), a bell, a carriage return, a right-to-left override and an isolate, C1 CSI and NEL.
const HOSTILE = '\x1b[2K\r\x1b]52;c;cm0gLXJmIH4=\x07\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\\x07\u202eftp.exe\u2066\x9b2J\x85\u200f';
const FAKE_ID = '00000000-0000-4000-8000-00000000dead';

// The hostile server: the real one behind a proxy that puts escapes in an error message and
// in what a session label was before labels were encrypted (`device`), and replaces the
// encrypted labels, which it cannot forge ([Note: session labels] in client-lib).
const proxy = createServer(async (req, res) => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  if (req.url?.includes(FAKE_ID)) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ code: 'VAULT_ERR_NOT_FOUND', message: `no such record${HOSTILE}` }));
  }
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
  const answer = await fetch(`${server.url}${req.url}`, { method: req.method!, headers, ...(parts.length ? { body: Buffer.concat(parts) } : {}) });
  let body = Buffer.from(await answer.arrayBuffer());
  if (req.url === '/v1/sessions' && req.method === 'GET') {
    const json = JSON.parse(body.toString()) as { sessions: { device?: string; label: string | null }[] };
    for (const s of json.sessions) Object.assign(s, { device: `laptop${HOSTILE}`, label: 'A'.repeat(226) });
    body = Buffer.from(JSON.stringify(json));
  }
  const skip = ['content-length', 'content-encoding', 'transfer-encoding', 'connection'];
  res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !skip.includes(k))));
  res.end(body);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

// Raw C0 (but line feed), DEL, C1, and the bidi controls that reorder what follows.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

t.test("a shared record whose every field carries escapes reaches the reviewer's terminal defused", async (t) => {
  const lawyer = handle('lic');
  const pass = 'cometa almendra túnel orquesta';
  let r = await tvault('lawyer', pass, ['--server', proxyUrl, 'register', lawyer]);
  t.equal(r.code, 0, r.stderr);

  const { vault: owner } = await Vault.register({ server: server.url, handle: handle('evil'), passphrase: 'x', ...testClient });
  const fields = {
    title: `Testimonio${HOSTILE}`, narrative: `Cruzó el río.\n${HOSTILE}\nfin`, place: `Reynosa${HOSTILE}`,
    occurredAt: `2024-01-01${HOSTILE}`, language: `es${HOSTILE}`, tags: [`tag${HOSTILE}`, 'plain'],
  };
  const { id } = await owner.createRecord(fields);
  await owner.attachFile(id, new TextEncoder().encode('evidence'), { name: `foto${HOSTILE}.jpg`, type: 'image/jpeg' });
  await owner.share(id, lawyer, { requireVerified: false });
  await owner.logout();

  const outputs: [string, string[]][] = [
    ['show', ['show', id]],
    ['show --json', ['--json', 'show', id]],
    ['versions', ['versions', id]],
    ['list', ['list']],
    ['inbox', ['inbox']],
    ['history', ['history', id]],
    ['sessions', ['sessions']],
    ['sessions --json', ['--json', 'sessions']],
    ['an error message of the server', ['show', FAKE_ID]],
    ['an error message of the server, in Spanish', ['--lang', 'es', 'show', FAKE_ID]],
  ];
  for (const [what, args] of outputs) {
    r = await tvault('lawyer', pass, args);
    t.notMatch(r.stdout, RAW, `${what}: no raw control or bidi character on stdout`);
    t.notMatch(r.stderr, RAW, `${what}: none on stderr`);
    if (what === 'show') {
      t.equal(r.code, 0, r.stderr);
      t.match(r.stdout, 'Testimonio\\x1b[2K\\x0d\\x1b]52;c;', 'the title is there, its escapes shown as text');
      t.match(r.stdout, '\\u{202e}ftp.exe', 'the override is shown, not obeyed');
      t.match(r.stdout, /Cruzó el río\.\n.*\nfin/, 'the narrative keeps its own line breaks');
      t.match(r.stdout, 'foto\\x1b[2K');
    }
    if (what === 'show --json') t.same((JSON.parse(r.stdout) as { fields: unknown }).fields, fields, 'the JSON parses to the very same fields');
    if (what === 'sessions') {
      t.match(r.stdout, 'name unreadable: altered on the server', "the server's label is shown as unreadable, not as a name");
      t.notMatch(r.stdout, 'laptop', 'the clear text it adds is not shown at all');
    }
    if (what.startsWith('an error')) {
      t.equal(r.code, 7);
      t.match(r.stderr, 'no such record\\x1b[2K');
    }
  }
});
