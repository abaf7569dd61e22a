import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import { ErrorResponse } from '../http/schemas.ts';

/** Collects every route's schema into an OpenAPI 3 document served at /openapi.json. */
export default fp(
  async (app) => {
    app.addSchema(ErrorResponse);
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Testimony vault API',
          version: '1',
          description: 'Stores ciphertext, public keys and metadata; every key that decrypts user data stays on the client.',
        },
        components: { securitySchemes: { session: { type: 'http', scheme: 'bearer' } } },
      },
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
