// Byte-exact encodings shared by client and server (no cryptography, no I/O).
export * from './bytes.ts';
export * from './labels.ts';
export * from './statements.ts';
export * from './limits.ts';
