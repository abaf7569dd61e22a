import { b64 } from '../http/schemas.ts';

/** An account's public identity as the API serves it. */
export function identityToWire(a: { handle: string; sign_public_key: Buffer; box_public_key: Buffer; identity_signature: Buffer }) {
  return {
    handle: a.handle,
    signPublicKey: b64(a.sign_public_key),
    boxPublicKey: b64(a.box_public_key),
    signature: b64(a.identity_signature),
  };
}
