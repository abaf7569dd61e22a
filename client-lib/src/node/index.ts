// Node-only conveniences of @testimony-vault/client (file paths, Node streams, files on disk).
export * from '../index.ts';
export { FileStateStore } from './file-state-store.ts';
