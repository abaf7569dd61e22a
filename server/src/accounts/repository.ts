import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, NewAccount } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function findAccountByHandle(db: Db, handle: string) {
  return db.selectFrom('accounts').selectAll().where('handle', '=', handle).executeTakeFirst();
}

export function findAccountById(db: Db, id: string) {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The advisory lock key that serialises registrations (see [Note: registration lock]). */
export const REGISTRATION_LOCK = 'tvault:register';

/**
 * Takes the registration lock until the transaction ends. Every read that decides how an
 * account is registered (is it the first? is the invite unused?) must come after this.
 */
export async function lockRegistrations(trx: Transaction<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${REGISTRATION_LOCK}))`.execute(trx);
}

export async function anyAccountExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Inserts an account; undefined when the handle is taken. Call under lockRegistrations. */
export function insertAccount(trx: Transaction<Database>, account: NewAccount) {
  return trx
    .insertInto('accounts')
    .values(account)
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
