// The only module that imports libsodium. Everything else asks for `await sodiumReady()`.
// The sumo build is required: the plain build has no crypto_pwhash (Argon2id).
import sodium from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodium;

// [Note: native libsodium for records]
// Listing and reading records spends its time in a few libsodium calls per record: the
// author's Ed25519 signature, SHA-256 of the body, the sealed box that holds the record key
// and the key derivations from its seed (docs/PERFORMANCE.md "Listing"). Where a faster
// build of the same libsodium is at hand (Node: sodium-native), those calls go to it: the
// same library, the same arguments and results, and a failure still throws as the
// WebAssembly build's does. Anything else, and any call with arguments the native engine
// is not given (text, an output format, a wrong length), goes to the WebAssembly build.
// The browser has only the WebAssembly build. test/record-crypto-engines.test.ts holds both
// engines to the same answers, tampered input included.

/** The calls a native engine answers, on bytes only; `sealOpen` returns undefined when the box does not open. */
export interface SodiumEngine {
  name: string;
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  sealOpen(ciphertext: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined;
  sha256(message: Uint8Array): Uint8Array;
  kdfDerive(length: number, id: number, context: string, key: Uint8Array): Uint8Array;
}

let engine: SodiumEngine | undefined;
let withEngine: Sodium | undefined;
/** Loads the engine at the first sodiumReady() (a command that needs no libsodium loads no addon). */
let loader: (() => SodiumEngine | undefined) | undefined;

/**
 * Installs (or, with undefined, removes) a native engine for the calls above, or a function
 * that loads one when libsodium is first asked for; Vaults made afterwards use it.
 */
export function useSodiumEngine(e: SodiumEngine | (() => SodiumEngine | undefined) | undefined): void {
  loader = typeof e === 'function' ? e : undefined;
  engine = typeof e === 'function' ? undefined : e;
  withEngine = engine ? overlay(sodium, engine) : undefined;
}

function loadEngine(): void {
  if (!loader) return;
  const load = loader;
  loader = undefined;
  useSodiumEngine(load());
}

/** Which engine answers those calls here (for tests and benchmarks). */
export function sodiumEngineName(): string {
  loadEngine();
  return engine?.name ?? 'libsodium (WebAssembly)';
}

const bytes = (x: unknown): x is Uint8Array => x instanceof Uint8Array;

/** libsodium with the engine's calls in place of its own, for the arguments the engine takes. */
function overlay(s: Sodium, e: SodiumEngine): Sodium {
  const o = Object.create(s) as Sodium;
  const SIG = s.crypto_sign_BYTES;
  const SIGN_PK = s.crypto_sign_PUBLICKEYBYTES;
  const BOX_PK = s.crypto_box_PUBLICKEYBYTES;
  const BOX_SK = s.crypto_box_SECRETKEYBYTES;
  const SEAL = s.crypto_box_SEALBYTES;
  o.crypto_sign_verify_detached = (sig, message, pk) =>
    bytes(message) && sig.length === SIG && pk.length === SIGN_PK ? e.verifyDetached(sig, message, pk) : s.crypto_sign_verify_detached(sig, message, pk);
  o.crypto_box_seal_open = ((c: Uint8Array | string, pk: Uint8Array, sk: Uint8Array, format?: unknown) => {
    if (format !== undefined || !bytes(c) || c.length < SEAL || pk.length !== BOX_PK || sk.length !== BOX_SK) {
      return (s.crypto_box_seal_open as (...a: unknown[]) => unknown)(c, pk, sk, format);
    }
    const plain = e.sealOpen(c, pk, sk);
    if (!plain) throw new Error('incorrect key pair for the given ciphertext');
    return plain;
  }) as Sodium['crypto_box_seal_open'];
  o.crypto_hash_sha256 = ((m: Uint8Array | string, format?: unknown) =>
    format === undefined && bytes(m) ? e.sha256(m) : (s.crypto_hash_sha256 as (...a: unknown[]) => unknown)(m, format)) as Sodium['crypto_hash_sha256'];
  o.crypto_kdf_derive_from_key = ((length: number, id: number, context: string, key: Uint8Array, format?: unknown) => {
    const plain = format === undefined && Number.isInteger(length) && length >= s.crypto_kdf_BYTES_MIN && length <= s.crypto_kdf_BYTES_MAX &&
      (id | 0) === id && id >= 0 && typeof context === 'string' && context.length === s.crypto_kdf_CONTEXTBYTES &&
      /^[\x20-\x7e]*$/.test(context) && bytes(key) && key.length === s.crypto_kdf_KEYBYTES;
    return plain ? e.kdfDerive(length, id, context, key) : (s.crypto_kdf_derive_from_key as (...a: unknown[]) => unknown)(length, id, context, key, format);
  }) as Sodium['crypto_kdf_derive_from_key'];
  return o;
}

let loaded: Sodium | undefined;

export async function sodiumReady(): Promise<Sodium> {
  await sodium.ready;
  loaded = sodium;
  loadEngine();
  return withEngine ?? sodium;
}

/**
 * libsodium if it has finished loading, else undefined: for the few synchronous entry
 * points (verifyExport). Loading starts when this module is imported.
 */
export function sodiumIfLoaded(): Sodium | undefined {
  return loaded && (withEngine ?? loaded);
}

// Start loading now, so that synchronous callers rarely find it missing; a failure shows
// up again (and is reported) at the next sodiumReady(). The native engine waits for that.
sodium.ready.then(() => void (loaded = sodium)).catch(() => undefined);
