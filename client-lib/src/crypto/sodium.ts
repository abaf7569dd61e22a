// The only module that imports libsodium. Everything else asks for `await sodiumReady()`.
// The sumo build is required: the plain build has no crypto_pwhash (Argon2id).
import sodium from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodium;

let loaded: Sodium | undefined;

export async function sodiumReady(): Promise<Sodium> {
  await sodium.ready;
  loaded = sodium;
  return sodium;
}

/**
 * libsodium if it has finished loading, else undefined: for the few synchronous entry
 * points (verifyExport). Loading starts when this module is imported.
 */
export function sodiumIfLoaded(): Sodium | undefined {
  return loaded;
}

// Start loading now, so that synchronous callers rarely find it missing; a failure shows
// up again (and is reported) at the next sodiumReady().
sodiumReady().catch(() => undefined);
