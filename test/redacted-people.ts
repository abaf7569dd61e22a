// Shared by the redacted-sharing tests: people registered on one test server, and a file read whole.
import { MemoryStateStore, Vault } from '@testimony-vault/client';
import { toNodeReadable } from '@testimony-vault/client/node';
import { handle, testClient, type TestServer } from './helper.ts';

/** Registers `prefix`-something on the server; returns its vault, handle and account id. */
export function people(server: TestServer) {
  return async (prefix: string) => {
    const h = handle(prefix);
    const { vault } = await Vault.register({ server: server.url, handle: h, passphrase: 'p', state: new MemoryStateStore(), ...testClient });
    const row = await server.db.selectFrom('accounts').select('id').where('handle', '=', h).executeTakeFirstOrThrow();
    return { vault, handle: h, id: row.id };
  };
}

/** The decrypted bytes of a file, through the reader's own client. */
export async function readFile(v: Vault, recordId: string, fileId: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of toNodeReadable(await v.openFile(recordId, fileId))) parts.push(p as Buffer);
  return Buffer.concat(parts);
}
