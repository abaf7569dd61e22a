// Node-only conveniences of @testimony-vault/client: importing this entry point installs
// file-path sources, native SHA-256, native Argon2id and atomic downloads into the core library.
import './files.ts';
import { useArgon2idEngine } from '../crypto/kdf.ts';
import { loadNativeArgon2id } from './native-argon2id.ts';
// Native Argon2id where it loads ([Note: Argon2id engines]).
useArgon2idEngine(loadNativeArgon2id());

export * from '../index.ts';
export { FileStateStore } from './file-state-store.ts';
export { toNodeReadable } from './files.ts';
