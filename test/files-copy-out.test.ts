import t from 'tap';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { poolOf } from '../server/src/db/connect.ts';
import { CopyOutColumn, isDatabaseSocket, readCopyColumn } from '../server/src/files/copy-out.ts';
import { testDatabase } from './helper.ts';

// [Note: COPY OUT read off the socket] and [Note: database reads into one buffer]: a binary
// COPY is parsed where the socket's reads land, values copied out, and the connection handed
// back to node-postgres afterwards. Values larger than one read (256 KiB) cross reads.

const { db } = await testDatabase(t, { migrate: false });
const pool = poolOf(db);
// Four values of 300,000 bytes, each of one letter (A, B, C, D): larger than one read.
const VALUE = 300_000;
const FOUR = `copy (select convert_to(repeat(chr(65 + i), ${VALUE}), 'UTF8') from generate_series(0, 3) i order by i) to stdout (format binary)`;
const expected = (i: number) => Buffer.alloc(VALUE, 65 + i);

t.test('values come back whole and in order, into a target, and the connection answers queries afterwards', async (t) => {
  const client = await pool.connect();
  try {
    t.ok(isDatabaseSocket((client as unknown as { connection: { stream: net.Socket } }).connection.stream), 'the connection reads into one buffer of its own');
    const target = Buffer.alloc(4 * VALUE);
    const values = await readCopyColumn(client, FOUR, target);
    t.equal(values.length, 4);
    t.ok(values.every((v, i) => v.equals(expected(i)) && v.buffer === target.buffer), 'each value is a view of the target with its own bytes');
    const { rows } = await client.query<{ n: number }>('select 41 + 1 as n');
    t.same(rows, [{ n: 42 }], 'node-postgres parses the connection again');
    t.same((await readCopyColumn(client, FOUR, target)).map((v) => v[0]), [65, 66, 67, 68], 'and a second COPY on it');
  } finally {
    client.release();
  }
});

t.test('without a target, the values outlive the reads (the socket reads into the same buffer again)', async (t) => {
  const client = await pool.connect();
  try {
    const values = await readCopyColumn(client, FOUR);
    await client.query('select repeat(\'x\', 600000)'); // more reads into the socket's buffer
    t.ok(Buffer.concat(values).equals(Buffer.concat([0, 1, 2, 3].map(expected))), 'the bytes of every value as they were sent');
  } finally {
    client.release();
  }
});

t.test('values beyond the target are refused', async (t) => {
  const client = await pool.connect();
  let broken = false;
  try {
    await t.rejects(readCopyColumn(client, FOUR, Buffer.alloc(3 * VALUE)), /more bytes than the target holds/);
    broken = true;
  } finally {
    client.release(broken);
  }
});

t.test("an error from the database mid-COPY rejects with the database's error; the connection still works", async (t) => {
  const client = await pool.connect();
  try {
    const failing = `copy (select case when i < 2 then convert_to(repeat('a', ${VALUE}), 'UTF8') else convert_to((1 / (i - i))::text, 'UTF8') end from generate_series(0, 3) i order by i) to stdout (format binary)`;
    await t.rejects(readCopyColumn(client, failing, Buffer.alloc(4 * VALUE)), /division by zero/);
    const { rows } = await client.query<{ n: number }>('select 7 as n');
    t.same(rows, [{ n: 7 }], 'the next query gets its own answer');
  } finally {
    client.release();
  }
});

// Review findings of 2026-12-07 (F2, F3), on a connection of node-postgres's shape whose reads
// the test writes itself: its one data listener stands for node-postgres's parser.
function fakeConnection(parser: (data: Buffer) => void) {
  const stream = new EventEmitter();
  stream.on('data', parser);
  return { stream, query: () => undefined };
}

t.test('a frame whose length no COPY message has is refused at once, not waited for', { timeout: 5000 }, async (t) => {
  const copy = new CopyOutColumn('copy (select 1) to stdout (format binary)', Buffer.alloc(16));
  const connection = fakeConnection(() => undefined);
  copy.submit(connection);
  // A CopyData head claiming 2 GiB: read from the middle of some other message, say.
  connection.stream.emit('data', Buffer.from([0x64, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
  await t.rejects(copy.done, /bad message length/);
});

t.test("what follows CopyDone is node-postgres's: an error there is its own, not swallowed as the COPY's", async (t) => {
  const copy = new CopyOutColumn('copy (select 1) to stdout (format binary)', Buffer.alloc(16));
  const handed: Buffer[] = [];
  const connection = fakeConnection((data) => {
    handed.push(data);
    throw new Error('the parser failed');
  });
  copy.submit(connection);
  const copyDone = [0x63, 0, 0, 0, 4];
  const commandComplete = [0x43, 0, 0, 0, 11, ...Buffer.from('COPY 0\0')];
  t.throws(() => connection.stream.emit('data', Buffer.from([...copyDone, ...commandComplete])), /the parser failed/, 'the error reaches the socket, as node-postgres would have it');
  t.same(handed, [Buffer.from(commandComplete)], 'node-postgres was given the rest');
  let settled = false;
  copy.done.then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(settled, 'the COPY itself is not failed by it: it waits for ReadyForQuery as ever');
});
