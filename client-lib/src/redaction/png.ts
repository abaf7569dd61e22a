import { concat } from '@testimony-vault/protocol';
import { VaultError } from '../errors.ts';

// [Note: lossless redaction] in jpeg.ts, for PNG: a PNG is a signature then chunks
// (length, type, data, CRC). Chunks are copied whole (their CRCs stay valid) or dropped.
// Kept: the picture (IHDR, PLTE, IDAT, IEND), transparency and colour rendering (tRNS,
// cHRM, gAMA, sRGB, sBIT, bKGD, hIST, pHYs) and animation (acTL, fcTL, fdAT). Dropped:
// eXIf (EXIF with GPS and device), tEXt/zTXt/iTXt (text, XMP), tIME, iCCP (a profile can
// name the device) and any other ancillary chunk; an unknown critical chunk is refused
// (it cannot be dropped without breaking the picture, nor kept without knowing what it
// says), and so is a kept chunk of a length its kind cannot have (room for anything after
// the fields). Bytes after IEND are dropped. What cannot be removed without decoding:
// bytes hidden inside the compressed picture data (IDAT, fdAT) after the zlib stream.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const KEEP = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'cHRM', 'gAMA', 'sRGB', 'sBIT', 'bKGD', 'hIST', 'pHYs', 'acTL', 'fcTL', 'fdAT']);
const KIND: Record<string, string> = { eXIf: 'EXIF', tEXt: 'text', zTXt: 'text', iTXt: 'text', tIME: 'time', iCCP: 'ICC profile' };

/**
 * The lengths a kept ancillary chunk may have (PNG specification, 3rd edition, §11.3): a
 * longer one could carry anything after the fields a decoder reads, and is refused.
 */
const LENGTHS: Record<string, (n: number) => boolean> = {
  IHDR: (n) => n === 13,
  PLTE: (n) => n > 0 && n <= 768 && n % 3 === 0,
  IEND: (n) => n === 0,
  tRNS: (n) => n <= 256,
  cHRM: (n) => n === 32,
  gAMA: (n) => n === 4,
  sRGB: (n) => n === 1,
  sBIT: (n) => n >= 1 && n <= 4,
  bKGD: (n) => n === 1 || n === 2 || n === 6,
  hIST: (n) => n > 0 && n <= 512 && n % 2 === 0,
  pHYs: (n) => n === 9,
  acTL: (n) => n === 8,
  fcTL: (n) => n === 26,
};

const type = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const isCritical = (t: string) => t.charCodeAt(0) >= 0x41 && t.charCodeAt(0) <= 0x5a;

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIGNATURE.every((v, i) => b[i] === v);
}

export function redactPng(b: Uint8Array): { bytes: Uint8Array; removed: string[] } {
  if (!isPng(b)) throw new VaultError('not a PNG');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const kept: Uint8Array[] = [b.subarray(0, 8)];
  const removed = new Set<string>();
  let pos = 8;
  for (;;) {
    if (pos + 12 > b.length) throw new VaultError('not a well-formed PNG: it ends before IEND');
    const length = view.getUint32(pos);
    const end = pos + 12 + length;
    if (end > b.length) throw new VaultError('not a well-formed PNG: a chunk runs past the end');
    const t = type(b, pos + 4);
    if (KEEP.has(t)) {
      if (LENGTHS[t] && !LENGTHS[t](length)) throw new VaultError(`not a well-formed PNG: a ${JSON.stringify(t)} chunk of ${length} bytes`);
      kept.push(b.subarray(pos, end));
    }
    else if (isCritical(t)) throw new VaultError(`a PNG with an unknown critical chunk (${JSON.stringify(t)}) cannot be redacted`);
    else removed.add(t === 'iTXt' && type(b, pos + 8) === 'XML:' ? 'XMP' : (KIND[t] ?? t));
    pos = end;
    if (t === 'IEND') break;
  }
  if (pos < b.length) removed.add('data after the image');
  return { bytes: concat(...kept), removed: [...removed] };
}
