import argon2 from 'argon2';

// [Note: login verifier]
// The server stores argon2id(login key). The login key is itself the output of a
// 256 MiB Argon2id run on the client and has 256 bits of entropy, so this second hash
// does not need to be slow to resist guessing; it makes a stolen verifier useless as a
// login key and costs the server little per login (19 MiB, 2 passes: OWASP's minimum).

const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function makeVerifier(secret: Buffer): Promise<string> {
  return argon2.hash(secret, OPTIONS);
}

export async function checkVerifier(verifier: string, secret: Buffer): Promise<boolean> {
  try {
    return await argon2.verify(verifier, secret);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/** Spends the same time as a real check, for handles that do not exist. */
export async function checkDummy(secret: Buffer): Promise<false> {
  dummy ??= makeVerifier(Buffer.alloc(32));
  await checkVerifier(await dummy, secret);
  return false;
}
