import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

// [Note: precompressed files]
// Next to each text-like file of the build, `F.br` and `F.gz` hold the same bytes compressed
// (when that is smaller), made once here so the server only picks one by the browser's
// Accept-Encoding (server/src/plugins/web-static.ts) and never compresses per request.
// They are encodings of F, not files of their own: web-manifest.json and Subresource
// Integrity are over F's bytes, which is what a browser has after decoding, and the server
// serves a variant only as Content-Encoding of F, after checking at start that it decodes to
// F. They are left out of the manifest also because their bytes depend on the zlib that made
// them, and the manifest must come out the same from the same sources anywhere.

/** File name suffix of each encoding, as the server looks them up. */
export const VARIANTS = { br: '.br', gzip: '.gz' } as const;

const COMPRESSIBLE = /\.(?:js|mjs|css|html|json|svg|wasm|webmanifest|txt)$/;
// Brotli's best quality costs seconds on the worker's megabyte of libsodium for about 5 %
// less; the files a page needs first are small, and get it.
const BEST_BROTLI_UP_TO = 256 * 1024;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Whether `rel` is a compressed variant of another file of the build. */
export function isVariant(rel: string, files: { has(rel: string): boolean }): boolean {
  return Object.values(VARIANTS).some((suffix) => rel.endsWith(suffix) && files.has(rel.slice(0, -suffix.length)));
}

async function variantsOf(bytes: Buffer): Promise<Record<keyof typeof VARIANTS, Buffer>> {
  const quality = bytes.length <= BEST_BROTLI_UP_TO ? constants.BROTLI_MAX_QUALITY : 7;
  const [br, gz] = await Promise.all([
    brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
    gzipped(bytes, { level: constants.Z_BEST_COMPRESSION }),
  ]);
  return { br, gzip: gz };
}

/** Writes the .br and .gz variants of the text-like files `rels` (paths inside `outDir`). */
export async function precompress(outDir: string, rels: Iterable<string>): Promise<void> {
  for (const rel of rels) {
    if (!COMPRESSIBLE.test(rel)) continue;
    const bytes = await readFile(path.join(outDir, rel));
    for (const [encoding, packed] of Object.entries(await variantsOf(bytes))) {
      const file = path.join(outDir, rel + VARIANTS[encoding as keyof typeof VARIANTS]);
      // A variant no smaller than the file is not worth a header; one left from an earlier
      // build would no longer decode to this file.
      if (packed.length < bytes.length) await writeFile(file, packed);
      else await rm(file, { force: true });
    }
  }
}
