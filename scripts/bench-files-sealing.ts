// Sealing a file into part bodies with the native engine, chunk by chunk and joined (as the
// Node client did before [Note: native parts]) against in place, alternating in one process:
//   npx tsx --conditions=@testimony-vault/source scripts/bench-files-sealing.ts
import { randomBytes, randomUUID } from 'node:crypto';
import '@testimony-vault/client/node';
import { chunkAd } from '../client-lib/src/files/file-key.ts';
import { loadNativeEngine } from '../client-lib/src/node/native-secretstream.ts';
import { partBody } from '../client-lib/src/files/platform.ts';
import { CHUNK_OVERHEAD } from '@testimony-vault/protocol';
const e = loadNativeEngine()!; const CH = 1 << 20; const P = 8; const N = 256;
const data = randomBytes(CH); const ad = chunkAd(randomUUID());
function perChunk() { const { state } = e.initPush(randomBytes(32)); let pieces: Uint8Array[] = []; for (let i = 0; i < N; i++) { pieces.push(e.push(state, data, ad, i === N - 1)); if (pieces.length === P) { partBody(pieces); pieces = []; } } }
function inPlace() { const { state } = e.initPush(randomBytes(32)); const b = e.partBuffer!(state, ad, CH, P * (CH + CHUNK_OVERHEAD)); for (let i = 0; i < N; i++) { b.push(data, i === N - 1); if ((i + 1) % P === 0) partBody([b.take()]); } }
const best = { perChunk: Infinity, inPlace: Infinity };
for (let r = 0; r < 7; r++) for (const [k, f] of Object.entries({ perChunk, inPlace })) { const t0 = performance.now(); f(); best[k as keyof typeof best] = Math.min(best[k as keyof typeof best], performance.now() - t0); }
console.log(`sealing ${N} MiB into parts of ${P} (best of 7, alternating): per chunk + join ${(N * CH / 1e6 / (best.perChunk / 1000)).toFixed(0)} MB/s, in place ${(N * CH / 1e6 / (best.inPlace / 1000)).toFixed(0)} MB/s, ratio ${(best.perChunk / best.inPlace).toFixed(2)}`);
