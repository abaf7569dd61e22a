import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountByHandle } from '../accounts/repository.ts';
import { ERR } from '../errors.ts';
import { Handle, Identity, Strict, errors } from '../http/schemas.ts';
import { identityToWire } from '../sharing/wire.ts';

// Public keys by handle, for a client to pin and compare out of band. The server is not
// trusted here: the client checks the self-signature and its own pins (docs/PROTOCOL.md
// "Contacts"). Signed-in accounts only; handles can already be probed at registration.
const users: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  app.get(
    '/:handle',
    {
      schema: {
        summary: "An account's self-signed public keys",
        tags: ['sharing'],
        security: [{ session: [] }],
        params: Strict({ handle: Handle }),
        response: { 200: Identity, ...errors(401, 404) },
      },
    },
    async (request) => {
      const account = await findAccountByHandle(app.db, request.params.handle);
      if (!account) throw new ERR.UNKNOWN_USER();
      return identityToWire(account);
    },
  );
};

export default users;
