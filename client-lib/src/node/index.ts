// Node-only conveniences of @testimony-vault/client: importing this entry point installs
// file-path sources, native SHA-256 and atomic downloads into the core library, and native
// libsodium for reading records.
import './files.ts';
import './install-native-sodium.ts';
export * from '../index.ts';
export { FileStateStore } from './file-state-store.ts';
export { toNodeReadable } from './files.ts';
