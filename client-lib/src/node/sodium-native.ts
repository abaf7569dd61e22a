import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// sodium-native (an optional dependency with prebuilt binaries for the common platforms),
// loaded only from this package's own tree. Node would otherwise also look in NODE_PATH
// and in ~/.node_modules, where anything could stand in for the cipher or the KDF.

/**
 * The sodium-native module, or undefined where it is not installed, does not load, or
 * resolves from anywhere but a node_modules folder of this package's own tree.
 */
export function loadSodiumNative<T>(): T | undefined {
  try {
    const require = createRequire(import.meta.url);
    const resolved = require.resolve('sodium-native');
    if (!ownTreeNodeModules().some((dir) => resolved.startsWith(dir))) return undefined;
    return require(resolved) as T;
  } catch {
    return undefined;
  }
}

/** node_modules folders of this file's folder and of each folder above it. */
function ownTreeNodeModules(): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    out.push(path.join(dir, 'node_modules') + path.sep);
    if (path.dirname(dir) === dir) return out;
  }
}
