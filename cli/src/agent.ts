import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import * as lib from '@testimony-vault/client/node';
import type { Vault } from '@testimony-vault/client/node';

// [Note: the unlock agent]
// `tvault unlock` keeps one logged-in Vault in a small process of its own (like ssh-agent),
// so the passphrase is asked once for a while. Nothing that decrypts leaves memory: the
// agent holds the keys; it listens on a Unix socket in a memory-backed folder
// ($XDG_RUNTIME_DIR, else /dev/shm), folder 0700 and socket 0600, owned by the user. Other
// commands call the Vault's methods through it (arguments and answers in V8's structured
// serialisation; callbacks such as upload progress come back as messages; errors keep their
// class, so exit codes stay the same). The agent ends at its time limit, at `tvault lock`,
// or when the machine restarts (the folder is in memory). One agent per config folder.

export const SYNC_INFO = ['handle', 'server', 'kdfVersion'] as const;

/** What a client learns once, at connection: the Vault's plain properties and sync answers. */
export interface AgentInfo {
  handle: string;
  server: string;
  kdfVersion: 1 | 2;
  fingerprint: string;
  localStateKey: Uint8Array;
}

type Request = { info: true } | { lock: true } | { call: string; args: unknown[] };
type Reply = { info: AgentInfo } | { result: unknown } | { error: Record<string, unknown> } | { callback: number; args: unknown[] } | { locked: true };

/** The agent's socket for a config folder, in a folder only the user can open; undefined without a memory-backed place. */
export function agentSocket(configDir: string): string | undefined {
  const base = process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : existsSync('/dev/shm') ? '/dev/shm' : undefined;
  if (!base) return undefined;
  const dir = path.join(base, `tvault-${os.userInfo().uid}`);
  return path.join(dir, `${createHash('sha256').update(path.resolve(configDir)).digest('hex').slice(0, 16)}.sock`);
}

function ownedFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = statSync(dir);
  if (s.uid !== os.userInfo().uid || (s.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

// Length-prefixed V8 messages on a stream.
function send(socket: net.Socket, message: unknown): void {
  const body = serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  socket.write(Buffer.concat([head, body]));
}

function onMessages(socket: net.Socket, handle: (m: unknown) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const size = buffered.readUInt32BE(0);
      handle(deserialize(buffered.subarray(4, 4 + size)));
      buffered = buffered.subarray(4 + size);
    }
  });
}

export const errorFields = (err: unknown): Record<string, unknown> => {
  const e = err instanceof Error ? err : new Error(String(err));
  return { ...Object.fromEntries(Object.entries(e)), name: e.name, message: e.message };
};

/** An error as thrown in the agent: the same class, so explain() gives the same line and exit code. */
export function rebuild(fields: Record<string, unknown>): Error {
  const Class = (lib as unknown as Record<string, unknown>)[String(fields.name)];
  const proto = typeof Class === 'function' && Class.prototype instanceof Error ? (Class.prototype as Error) : Error.prototype;
  return Object.assign(Object.create(proto) as Error, fields);
}

/** Serves `vault` on `socket` until `minutes` pass or a client asks to lock; then removes the socket (the caller logs out). */
export async function serveAgent(vault: Vault, socket: string, minutes: number, onReady: () => void): Promise<void> {
  ownedFolder(path.dirname(socket));
  rmSync(socket, { force: true });
  const info: AgentInfo = { handle: vault.handle, server: vault.server, kdfVersion: vault.kdfVersion, fingerprint: vault.fingerprint(), localStateKey: vault.localStateKey() };
  let end: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const server = net.createServer((conn) => {
    onMessages(conn, async (m) => {
      const request = m as Request;
      if ('info' in request) return send(conn, { info } satisfies Reply);
      if ('lock' in request) {
        send(conn, { locked: true } satisfies Reply);
        return end();
      }
      const method = (vault as unknown as Record<string, unknown>)[request.call];
      if (typeof method !== 'function' || request.call === 'logout' || request.call.startsWith('_')) return send(conn, { error: errorFields(new lib.VaultError(`no such call: ${request.call}`)) });
      const args = request.args.map((a) => withCallbacks(a, (id, cbArgs) => send(conn, { callback: id, args: cbArgs } satisfies Reply)));
      try {
        send(conn, { result: await (method as (...a: unknown[]) => Promise<unknown>).apply(vault, args) } satisfies Reply);
      } catch (err) {
        send(conn, { error: errorFields(err) } satisfies Reply);
      }
    });
    conn.on('error', () => undefined);
  });
  const old = process.umask(0o177); // the socket is created 0600
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  process.umask(old);
  chmodSync(socket, 0o600);
  onReady();
  const timer = setTimeout(end, minutes * 60_000);
  await ended;
  clearTimeout(timer);
  server.close();
  rmSync(socket, { force: true });
  info.localStateKey.fill(0);
}

// Functions cannot cross the socket: the client sends {callback: id}, the agent calls back with messages.
const CALLBACK = '__tvaultCallback';

function withCallbacks(value: unknown, call: (id: number, args: unknown[]) => void): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const id = v && typeof v === 'object' && CALLBACK in v ? (v as Record<string, number>)[CALLBACK] : undefined;
      return [k, id === undefined ? v : (...args: unknown[]) => call(id, args)];
    }),
  );
}

/** A Vault whose calls the agent answers, or undefined when no agent listens for this config folder. */
export async function agentVault(configDir: string): Promise<Vault | undefined> {
  const socket = agentSocket(configDir);
  if (!socket || !existsSync(socket)) return undefined;
  // Another user could have made the folder first (/dev/shm is shared) and listen there.
  const folder = statSync(path.dirname(socket));
  if (folder.uid !== os.userInfo().uid || (folder.mode & 0o077) !== 0) return undefined;
  const info = await request(socket, { info: true }).then((r) => (r as { info: AgentInfo }).info, () => undefined);
  if (!info) return undefined;
  const local: Record<string, unknown> = {
    ...Object.fromEntries(SYNC_INFO.map((k) => [k, info[k]])),
    fingerprint: () => info.fingerprint,
    localStateKey: () => info.localStateKey,
    logout: async () => undefined, // the agent's session outlives each command
  };
  return new Proxy({} as Vault, {
    get: (_target, prop) => {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      if (prop in local) return local[prop];
      return (...args: unknown[]) => call(socket, prop, args);
    },
  });
}

function call(socket: string, method: string, args: unknown[]): Promise<unknown> {
  const callbacks: ((...a: unknown[]) => void)[] = [];
  const wire = args.map((a) => {
    if (!a || typeof a !== 'object' || Array.isArray(a) || a instanceof Uint8Array || a instanceof Date) return a;
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, typeof v === 'function' ? { [CALLBACK]: callbacks.push(v as (...x: unknown[]) => void) - 1 } : v]));
  });
  return request(socket, { call: method, args: wire }, (id, cbArgs) => callbacks[id]?.(...cbArgs)).then((r) => (r as { result: unknown }).result);
}

/** One request on its own connection; callback messages are passed on until the answer. */
function request(socket: string, message: Request, onCallback?: (id: number, args: unknown[]) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socket);
    conn.on('error', reject);
    conn.on('connect', () => send(conn, message));
    onMessages(conn, (m) => {
      const reply = m as Reply;
      if ('callback' in reply) return onCallback?.(reply.callback, reply.args);
      conn.end();
      if ('error' in reply) reject(rebuild(reply.error));
      else resolve(reply);
    });
  });
}

/** Asks the agent for this config folder to end now; false if none was running. */
export async function lockAgent(configDir: string): Promise<boolean> {
  const socket = agentSocket(configDir);
  if (!socket || !existsSync(socket)) return false;
  return request(socket, { lock: true }).then(() => true, () => (rmSync(socket, { force: true }), false));
}
