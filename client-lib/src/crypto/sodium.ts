// The only module that imports libsodium. Everything else asks for `await sodiumReady()`.
// The sumo build is required: the plain build has no crypto_pwhash (Argon2id).
import sodium from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodium;

export async function sodiumReady(): Promise<Sodium> {
  await sodium.ready;
  return sodium;
}
