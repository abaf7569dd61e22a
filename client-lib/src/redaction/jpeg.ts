import { concat } from '@testimony-vault/protocol';
import { VaultError } from '../errors.ts';
import { exifWithOrientation, readOrientation } from './orientation.ts';

// [Note: lossless redaction]
// A JPEG is a list of marker segments; the picture is in the frame, tables and scans,
// and the metadata in APPn and COM segments. The filter keeps what a decoder needs and
// drops everything else, copying the compressed picture byte for byte (no re-encoding, so
// nothing of the picture is lost or changed). It is an allowlist: a segment kind it does
// not know as needed is dropped, and a kept segment must have exactly the length its fields
// give (KEPT), or the picture is refused. Kept: the frame and scans (SOFn, SOS and their entropy-
// coded data), tables (DQT, DHT, DAC, DRI), DNL/EXP, JFIF's APP0 without its thumbnail,
// and Adobe's APP14 (it says how to read CMYK/YCCK colours). Dropped: EXIF (GPS, device,
// times, the thumbnail), XMP, IPTC/Photoshop, ICC profiles (a profile can name the
// device), MPF and any other APPn, comments, and anything after the end of the image (some
// phones append a second picture there, with its own EXIF). The EXIF orientation, which
// says how to turn the picture, is written back alone when it is not the default.

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const COM = 0xfe;

/**
 * Segments other than APPn and COM that are kept, each with the length its fields give
 * (ITU-T T.81, B.2): a segment longer than its fields could carry anything after them.
 * Any other marker (JPG, JPGn, reserved, hierarchical-only DHP) is dropped.
 */
const KEPT: Record<number, (seg: Uint8Array) => boolean> = {
  // SOF0-3, 5-7, 9-11, 13-15: 8 bytes then 3 per component.
  ...Object.fromEntries([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf].map((m) => [m, (seg: Uint8Array) => seg.length >= 10 && u16(seg, 2) === 8 + 3 * seg[9]!])),
  0xc4: (seg) => tablesFill(seg, (at) => 17 + seg.subarray(at + 1, at + 17).reduce((a, n) => a + n, 0)), // DHT
  0xdb: (seg) => tablesFill(seg, (at) => 1 + 64 * ((seg[at]! >> 4) === 0 ? 1 : 2)), // DQT
  0xcc: (seg) => (u16(seg, 2) - 2) % 2 === 0, // DAC: 2 bytes per table
  0xdd: (seg) => u16(seg, 2) === 4, // DRI
  0xdc: (seg) => u16(seg, 2) === 4, // DNL
  0xdf: (seg) => u16(seg, 2) === 3, // EXP
  0xda: (seg) => seg.length >= 5 && u16(seg, 2) === 6 + 2 * seg[4]!, // SOS header
};

/** Whether a DHT/DQT segment is exactly a run of tables, each `size(at)` bytes long. */
function tablesFill(seg: Uint8Array, size: (at: number) => number): boolean {
  let at = 4;
  while (at < seg.length) {
    const n = size(at);
    if (!Number.isFinite(n) || at + n > seg.length) return false;
    at += n;
  }
  return at === seg.length && seg.length > 4;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const startsWith = (b: Uint8Array, at: number, text: string) => [...text].every((c, i) => b[at + i] === c.charCodeAt(0));

/** What an APPn/COM segment is, in the words redactPhoto reports. */
function kindOf(marker: number, seg: Uint8Array): string {
  if (marker === COM) return 'comment';
  if (marker === 0xe1 && startsWith(seg, 4, 'Exif\0')) return 'EXIF';
  if (marker === 0xe1 && startsWith(seg, 4, 'http://ns.adobe.com/xap/1.0/')) return 'XMP';
  if (marker === 0xe1 && startsWith(seg, 4, 'http://ns.adobe.com/xmp/extension/')) return 'XMP';
  if (marker === 0xed) return 'IPTC';
  if (marker === 0xe2 && startsWith(seg, 4, 'ICC_PROFILE\0')) return 'ICC profile';
  if (marker === 0xe2 && startsWith(seg, 4, 'MPF\0')) return 'MPF';
  return `APP${marker - 0xe0}`;
}

/** JFIF's APP0 with its thumbnail dropped (width and height set to 0). */
function jfifWithoutThumbnail(seg: Uint8Array): Uint8Array {
  const out = seg.slice(0, 2 + 2 + 14);
  out[2] = 0;
  out[3] = 16;
  out[2 + 2 + 12] = 0;
  out[2 + 2 + 13] = 0;
  return out;
}

/** Index just past a scan's entropy-coded data: the next marker that is not a restart or a stuffed 0xFF. */
function endOfScan(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const next = b[i + 1]!;
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
    return i;
  }
  throw new VaultError('not a well-formed JPEG: a scan does not end');
}

export function redactJpeg(b: Uint8Array): { bytes: Uint8Array; removed: string[] } {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== SOI) throw new VaultError('not a JPEG');
  const kept: Uint8Array[] = [b.subarray(0, 2)];
  const removed = new Set<string>();
  let orientation = 1;
  let afterApp0 = 1; // where the orientation goes: after SOI, or after JFIF's APP0
  let pos = 2;
  for (;;) {
    if (pos >= b.length) throw new VaultError('not a well-formed JPEG: it ends before its end marker');
    if (b[pos] !== 0xff) throw new VaultError('not a well-formed JPEG: expected a marker');
    while (b[pos] === 0xff) pos++; // fill bytes
    const marker = b[pos];
    if (marker === undefined) throw new VaultError('not a well-formed JPEG: truncated marker');
    pos++;
    if (marker === EOI) {
      kept.push(Uint8Array.of(0xff, EOI));
      if (pos < b.length) removed.add('data after the image');
      break;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(Uint8Array.of(0xff, marker));
      continue;
    }
    if (pos + 2 > b.length) throw new VaultError('not a well-formed JPEG: truncated segment');
    const length = u16(b, pos);
    if (length < 2 || pos + length > b.length) throw new VaultError('not a well-formed JPEG: a segment runs past the end');
    const seg = b.subarray(pos - 2, pos + length);
    pos += length;
    if ((marker >= 0xe0 && marker <= 0xef) || marker === COM) {
      if (marker === 0xe0 && startsWith(seg, 4, 'JFIF\0') && length >= 16 && kept.length === 1) {
        kept.push(jfifWithoutThumbnail(seg));
        afterApp0 = 2;
        if (length > 16) removed.add('JFIF thumbnail');
      } else if (marker === 0xee && startsWith(seg, 4, 'Adobe') && length >= 14) {
        // Version, two flag words and the colour transform: 12 bytes after the length; anything longer is cut.
        const adobe = seg.slice(0, 2 + 14);
        adobe[2] = 0;
        adobe[3] = 14;
        kept.push(adobe);
        if (length > 14) removed.add('APP14');
      } else {
        const kind = kindOf(marker, seg);
        if (kind === 'EXIF' && orientation === 1) orientation = readOrientation(seg.subarray(4 + 6));
        removed.add(kind);
      }
      continue;
    }
    const check = KEPT[marker];
    if (!check) {
      removed.add(`segment 0x${marker.toString(16).toUpperCase()}`);
      continue;
    }
    if (!check(seg)) throw new VaultError(`not a well-formed JPEG: a segment 0x${marker.toString(16).toUpperCase()} of ${length} bytes`);
    if (marker === SOS) {
      const end = endOfScan(b, pos);
      kept.push(seg, b.subarray(pos, end));
      pos = end;
      continue;
    }
    kept.push(seg);
  }
  if (orientation !== 1) kept.splice(afterApp0, 0, exifWithOrientation(orientation));
  return { bytes: concat(...kept), removed: [...removed] };
}
