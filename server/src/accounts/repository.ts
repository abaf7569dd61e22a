import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, NewAccount } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function findAccountByHandle(db: Db, handle: string) {
  return db.selectFrom('accounts').selectAll().where('handle', '=', handle).executeTakeFirst();
}

export function findAccountById(db: Db, id: string) {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Inserts an account; the first account of the server becomes its administrator.
 * The advisory lock serialises registrations so two "first" accounts cannot race.
 */
export async function insertAccount(trx: Transaction<Database>, account: Omit<NewAccount, 'is_admin'>) {
  await sql`select pg_advisory_xact_lock(hashtext('tvault:register'))`.execute(trx);
  const existing = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  return trx
    .insertInto('accounts')
    .values({ ...account, is_admin: existing === undefined })
    .onConflict((oc) => oc.column('handle').doNothing())
    .returning(['id', 'handle', 'is_admin'])
    .executeTakeFirst();
}

export async function countAccounts(db: Db): Promise<number> {
  const row = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export function identityOf(row: { handle: string; sign_public_key: Buffer; box_public_key: Buffer; identity_signature: Buffer }) {
  const b = (x: Buffer) => x.toString('base64url');
  return {
    handle: row.handle,
    signPublicKey: b(row.sign_public_key),
    boxPublicKey: b(row.box_public_key),
    signature: b(row.identity_signature),
  };
}
