// Sizes and bounds both sides agree on.

export const HANDLE_PATTERN = '^[a-z0-9][a-z0-9._-]{2,31}$';

export const KEY_BYTES = 32;
export const SALT_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
/** version byte + nonce + ciphertext of a 32-byte key + tag */
export const WRAPPED_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES;
/** version byte + nonce + (Ed25519 secret 64 + X25519 secret 32) + tag */
export const WRAPPED_PRIVATE_KEYS_BYTES = 1 + NONCE_BYTES + 64 + 32 + TAG_BYTES;
/** The same with the SHA-256 of the audit log key the account pinned at registration ([Note: the log key in the account]). */
export const WRAPPED_PRIVATE_KEYS_PINNED_BYTES = WRAPPED_PRIVATE_KEYS_BYTES + 32;
/** crypto_box_seal (48 bytes of overhead) of: label + record id + key version + key */
export const SEALED_RECORD_KEY_BYTES = 48 + 'tvault/v1/record-key'.length + 16 + 4 + KEY_BYTES;
/** Smallest record body envelope: version byte + nonce + tag (an empty plaintext). */
export const MIN_ENVELOPE_BYTES = 1 + NONCE_BYTES + TAG_BYTES;
/** Padded record bodies are never shorter than this. */
export const RECORD_PAD_FLOOR = 256;

/** KDF version 1 (accounts made before version 2): Argon2id over the stored salt as it is. */
export const KDF_ALGORITHM = 'argon2id13';
/**
 * KDF version 2: Argon2id over salt' = BLAKE2b-128("tvault/v2/kdf-salt" ‖ field(handle) ‖ salt),
 * computed by the client, so a server cannot give two accounts one KDF input
 * (docs/PROTOCOL.md, "Passphrase to keys"). New passphrases always use it.
 */
export const KDF_ALGORITHM_V2 = 'argon2id13/handle-bound/v2';
export const KDF_ALGORITHMS = [KDF_ALGORITHM, KDF_ALGORITHM_V2] as const;
export type KdfAlgorithm = (typeof KDF_ALGORITHMS)[number];

/**
 * The floor no client goes below, whatever a server offers (a hostile server could
 * otherwise ask for a cheap derivation and brute-force the login key it receives).
 */
export const KDF_FLOOR = { opsLimit: 3, memLimit: 256 * 1024 * 1024 } as const;
/** A ceiling too, so a hostile server cannot make a client allocate without bound. */
export const KDF_CEILING = { opsLimit: 20, memLimit: 2 * 1024 * 1024 * 1024 - 1 } as const;

/** crypto_secretstream_xchacha20poly1305: header bytes and per-chunk overhead (tag byte + MAC). */
export const STREAM_HEADER_BYTES = 24;
export const CHUNK_OVERHEAD = 17;
/** Plaintext chunk sizes a server accepts; the client's default is FILE_CHUNK_SIZE. */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
export const FILE_CHUNK_SIZE = 1024 * 1024;
/** Chunks per uploaded part: a part is committed in one transaction. */
export const PART_CHUNKS = 8;
export const MAX_PART_CHUNKS = 16;
export const MAX_PART_PLAINTEXT = 32 * 1024 * 1024;
/** Envelope (version byte, nonce, tag) of the file key and its stream header, under the master key. */
export const WRAPPED_FILE_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + STREAM_HEADER_BYTES + 8 + TAG_BYTES;
/**
 * The same envelope also committing to the plaintext before its first byte is encrypted:
 * u64be(size) ‖ SHA-256 (32) ‖ padding scheme (1). A resume checks the source against it.
 */
export const WRAPPED_COMMITTED_FILE_KEY_BYTES = WRAPPED_FILE_KEY_BYTES + 8 + 32 + 1;

/** Largest contact-list envelope a server accepts (a few thousand contacts). */
export const MAX_CONTACT_LIST_BYTES = 1024 * 1024;
/**
 * A session label (the device name in the sessions list) is at most this many UTF-8 bytes,
 * padded to SESSION_LABEL_PADDED_BYTES before it is encrypted, so every stored label has the
 * same size and its length tells nothing ("web" and "tvault on linux" look alike).
 */
export const SESSION_LABEL_MAX_BYTES = 100;
export const SESSION_LABEL_PADDED_BYTES = 128;
/** The only size of a stored session label: version byte + nonce + padded label + tag. */
export const SESSION_LABEL_ENVELOPE_BYTES = 1 + NONCE_BYTES + SESSION_LABEL_PADDED_BYTES + TAG_BYTES;

/** How far a grant's timestamp may be from the server's clock. */
export const GRANT_CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * A record's history comes a page at a time (docs/PROTOCOL.md "A page of a record's
 * history"): this many events when the client names no limit, at most HISTORY_PAGE_MAX. A
 * page's multi-leaf proof grows with its events (about log2 of the log's size each, less
 * where they share a path), so the maximum bounds an answer and the nodes it reads.
 */
export const HISTORY_PAGE_DEFAULT = 200;
export const HISTORY_PAGE_MAX = 1000;
