import { createHash } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountById } from '../accounts/repository.ts';
import { ERR } from '../errors.ts';
import { BytesUpTo, Bytes, Strict, Timestamp, decodeBytes, errors, b64 } from '../http/schemas.ts';
import { contactListStatement, MAX_CONTACT_LIST_BYTES, MIN_ENVELOPE_BYTES } from '@testimony-vault/protocol';
import { verifyEd25519 } from '../crypto/ed25519.ts';
import { callerOf } from '../plugins/auth.ts';
import { Version } from './records/schemas.ts';

// The caller's contact list: an envelope only the account can open, signed by it, stored
// so that pins and verifications follow the account to another device. Each write names
// the next version; the server keeps only the latest.
const ContactList = Type.Object({
  version: Version,
  body: BytesUpTo(MAX_CONTACT_LIST_BYTES, 'envelope: 0x01 ‖ nonce ‖ XChaCha20-Poly1305 ciphertext of the padded list'),
  signature: Bytes(64),
});

const contacts: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['sharing'];
  const security = [{ session: [] }];
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/',
    { schema: { summary: "The caller's encrypted contact list", tags, security, response: { 200: ContactList, ...errors(401, 404) } } },
    async (request) => {
      const row = await app.db.selectFrom('contact_lists').selectAll().where('account_id', '=', callerOf(request).accountId).executeTakeFirst();
      if (!row) throw new ERR.NOT_FOUND();
      return { version: row.version, body: b64(row.body), signature: b64(row.signature) };
    },
  );

  app.put(
    '/',
    {
      bodyLimit: Math.ceil((MAX_CONTACT_LIST_BYTES * 4) / 3) + 1024,
      schema: {
        summary: 'Replace the contact list with its next version (signed by the account)',
        tags,
        security,
        body: Strict({ version: Version, body: BytesUpTo(MAX_CONTACT_LIST_BYTES), signature: Bytes(64) }),
        response: { 200: Type.Object({ version: Version, updatedAt: Timestamp }), ...errors(401, 409, 413) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const body = decodeBytes('body', request.body.body);
      if (body.length < MIN_ENVELOPE_BYTES) throw new ERR.BAD_ENCODING('body');
      const signature = decodeBytes('signature', request.body.signature, 64);
      const { version } = request.body;
      const account = await findAccountById(app.db, caller.accountId);
      if (!account) throw new ERR.UNAUTHENTICATED();
      const statement = contactListStatement(account.handle, version, createHash('sha256').update(body).digest());
      if (!verifyEd25519(account.sign_public_key, statement, signature)) throw new ERR.SIGNATURE_INVALID();
      const now = new Date();
      // Compare-and-set on the version: two devices saving at once cannot lose each other's
      // pins, and a replayed older list cannot replace a newer one.
      const written =
        version === 1
          ? await app.db
              .insertInto('contact_lists')
              .values({ account_id: caller.accountId, version, body, signature, updated_at: now })
              .onConflict((oc) => oc.column('account_id').doNothing())
              .returning('version')
              .executeTakeFirst()
          : await app.db
              .updateTable('contact_lists')
              .set({ version, body, signature, updated_at: now })
              .where('account_id', '=', caller.accountId)
              .where('version', '=', version - 1)
              .returning('version')
              .executeTakeFirst();
      if (!written) throw new ERR.VERSION_CONFLICT();
      return { version, updatedAt: now.toISOString() };
    },
  );
};

export default contacts;
