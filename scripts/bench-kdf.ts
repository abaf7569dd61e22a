// Argon2id at the account floor's cost, native libsodium (sodium-native) against the
// WebAssembly build, alternated in one run: `npm run bench:kdf [-- --runs N]`.
// [Note: Argon2id engines] in client-lib/src/node/native-argon2id.ts says why both exist.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KDF_ALGORITHM_V2, KDF_FLOOR, SALT_BYTES } from '@testimony-vault/protocol';
import { sodiumReady } from '../client-lib/src/crypto/sodium.ts';
import { derivePassphraseKeys, useArgon2idEngine, type Argon2idEngine, type KdfParams } from '../client-lib/src/crypto/kdf.ts';
import { loadNativeArgon2id } from '../client-lib/src/node/native-argon2id.ts';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 7;
const s = await sodiumReady();
const native = loadNativeArgon2id();
if (!native) {
  console.error('sodium-native did not load here: nothing to compare');
  process.exit(1);
}

const params: KdfParams = { algorithm: KDF_ALGORITHM_V2, salt: randomBytes(SALT_BYTES), ...KDF_FLOOR };
/** Wall time and CPU time (user + system) of one derivation, in ms. */
function time(engine: Argon2idEngine | undefined): { wall: number; cpu: number } {
  useArgon2idEngine(engine);
  const cpu = process.cpuUsage();
  const start = performance.now();
  derivePassphraseKeys(s, 'una frase de paso para medir', params, KDF_FLOOR, 'bench');
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

const wasm: { wall: number; cpu: number }[] = [];
const nat: { wall: number; cpu: number }[] = [];
time(undefined); // warm both up: the first WebAssembly call grows its memory
time(native);
for (let i = 0; i < runs; i++) {
  wasm.push(time(undefined));
  nat.push(time(native));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = KDF_FLOOR.memLimit / 1024 / 1024;
console.log(`Argon2id, ${KDF_FLOOR.opsLimit} passes, ${mib} MiB, ${runs} runs each, alternated (ms, median)`);
for (const [name, xs] of [['WebAssembly', wasm], ['native', nat]] as const) {
  console.log(`  ${name.padEnd(12)} wall ${median(xs.map((x) => x.wall)).toFixed(0)}  cpu ${median(xs.map((x) => x.cpu)).toFixed(0)}  (wall: ${xs.map((x) => x.wall.toFixed(0)).join(' ')})`);
}
const ratio = (k: 'wall' | 'cpu') => (median(nat.map((x) => x[k])) / median(wasm.map((x) => x[k]))).toFixed(2);
console.log(`  native / WebAssembly: wall ${ratio('wall')}, cpu ${ratio('cpu')}`);
