// Public surface of @testimony-vault/protocol: what the server and the clients must agree
// on, byte for byte (docs/PROTOCOL.md). No cryptographic keys, no I/O, no Node built-ins and
// no libsodium, so it runs in browsers, in Node and inside the server alike. The Merkle tree
// hashing and proof checks are the subpath '@testimony-vault/protocol/merkle'.
export * from './bytes.ts';
export * from './base64url.ts';
export * from './labels.ts';
export * from './statements.ts';
export * from './limits.ts';
export * from './audit.ts';
export * from './padding.ts';
export * from './teams.ts';
export * from './invites.ts';
