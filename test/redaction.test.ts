import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import exifr from 'exifr';
import { redactPhoto, isRedactable, VaultError } from '@testimony-vault/client';

// The metadata filter (client-lib/src/redaction), on photos written by exiftool
// (test/fixtures/photos/README.md), read back by libraries that did not write them:
// exifr always, exiftool too where it is installed.

const dir = path.resolve(import.meta.dirname, 'fixtures/photos');
const jpeg = readFileSync(path.join(dir, 'camera-gps.jpg'));
const png = readFileSync(path.join(dir, 'camera-gps.png'));

const everything = { tiff: true, exif: true, gps: true, xmp: true, iptc: true, icc: true, jfif: true, ihdr: false, interop: true, makerNote: true, userComment: true, mergeOutput: false, translateValues: false };

function exiftool(bytes: Uint8Array, ext: string): Record<string, unknown> | undefined {
  if (!existsSync('/usr/bin/exiftool')) return undefined;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'redact-')), `photo.${ext}`);
  writeFileSync(file, bytes);
  return (JSON.parse(execFileSync('/usr/bin/exiftool', ['-j', '-n', '-a', '-G1', file], { encoding: 'utf8' })) as Record<string, unknown>[])[0];
}

const revealing = (tags: Record<string, unknown>) =>
  Object.keys(tags).filter((k) => /GPS|Make|Model|Software|DateTime|CreatorTool|City|Comment|Profile|XMP|IPTC/i.test(k) && !/^(File|System|ExifTool)/.test(k));

/** The compressed picture: from the first scan to the end marker. */
function scans(b: Uint8Array): Buffer {
  const buf = Buffer.from(b);
  return buf.subarray(buf.indexOf(Buffer.from([0xff, 0xda])));
}

/** The PNG's picture data: its IDAT chunks, whole. */
function idat(b: Uint8Array): Buffer {
  const buf = Buffer.from(b);
  const out: Buffer[] = [];
  for (let pos = 8; pos + 12 <= buf.length; ) {
    const len = buf.readUInt32BE(pos);
    if (buf.toString('latin1', pos + 4, pos + 8) === 'IDAT') out.push(buf.subarray(pos, pos + 12 + len));
    pos += 12 + len;
  }
  return Buffer.concat(out);
}

t.test('the fixtures do carry what a phone writes (else the tests below prove nothing)', async (t) => {
  const round = (g: { latitude: number; longitude: number } | undefined) => g && [g.latitude.toFixed(4), g.longitude.toFixed(4)];
  t.same(round(await exifr.gps(jpeg)), ['25.6866', '-100.3161'], 'JPEG: GPS');
  t.match(await exifr.parse(jpeg, everything), { ifd0: { Make: 'Apple', Model: 'iPhone 12', Orientation: 6 }, iptc: {}, xmp: {} }, 'JPEG: device, IPTC, XMP');
  t.same(round(await exifr.gps(png)), ['32.5149', '-117.0382'], 'PNG: GPS');
  t.match(await exifr.parse(png, everything), { ifd0: { Make: 'Samsung', Model: 'SM-A515F' } }, 'PNG: device');
});

t.test('a JPEG: no GPS, device, time, XMP, IPTC, comment or profile is left; the picture is byte for byte the same', async (t) => {
  const { bytes, removed } = redactPhoto(jpeg);
  t.same(removed.sort(), ['EXIF', 'ICC profile', 'IPTC', 'XMP', 'comment'], 'says what it took out');
  t.equal(await exifr.gps(bytes), undefined, 'exifr finds no GPS');
  const left = (await exifr.parse(bytes, everything)) as Record<string, Record<string, unknown>> | undefined;
  t.same(left?.ifd0, { Orientation: 6 }, 'only the orientation is left of the EXIF block');
  t.notOk(left?.xmp ?? left?.iptc ?? left?.icc ?? left?.gps ?? left?.exif, 'no XMP, IPTC, ICC, GPS or Exif IFD');
  t.notOk(Buffer.from(bytes).includes('Albergue'), 'no comment');
  t.ok(scans(bytes).equals(scans(jpeg)), 'the scans are copied unchanged');
  t.ok(bytes.length < jpeg.length - 3000, 'smaller by the metadata');
  const tool = exiftool(bytes, 'jpg');
  if (tool) t.same(revealing(tool), [], `exiftool finds nothing revealing either (${Object.keys(tool).length} tags read)`);
  t.ok(Buffer.from(redactPhoto(bytes).bytes).equals(Buffer.from(bytes)), 'redacting the copy again changes nothing');
});

t.test('a PNG: no eXIf, text or XMP chunk is left; the picture data is the same', async (t) => {
  const { bytes, removed } = redactPhoto(png);
  t.same(removed.sort(), ['EXIF', 'XMP', 'text'], 'says what it took out');
  t.equal(await exifr.gps(bytes), undefined, 'exifr finds no GPS');
  t.notOk(await exifr.parse(bytes, everything), 'exifr finds no metadata at all');
  t.notOk(Buffer.from(bytes).includes('Tijuana'), 'no comment');
  t.ok(idat(bytes).equals(idat(png)) && idat(png).length > 0, 'the IDAT chunks are copied unchanged');
  const tool = exiftool(bytes, 'png');
  if (tool) t.same(revealing(tool), [], 'exiftool finds nothing revealing either');
});

t.test('bytes after the end of the picture (a second picture some phones append) are dropped', async (t) => {
  const trailer = Buffer.concat([jpeg, jpeg]);
  const out = redactPhoto(trailer);
  t.ok(out.removed.includes('data after the image'));
  t.ok(Buffer.from(out.bytes).equals(Buffer.from(redactPhoto(jpeg).bytes)), 'the same copy as without the trailer');
  t.ok(redactPhoto(Buffer.concat([png, Buffer.from('GPS 25.68')]))!.removed.includes('data after the image'));
});

t.test('malformed or unknown input is refused with a VaultError, never half-redacted', async (t) => {
  const cases: [string, Uint8Array][] = [
    ['not a picture', Buffer.from('hello world')],
    ['a JPEG cut in its header', jpeg.subarray(0, 40)],
    ['a JPEG cut in a scan', jpeg.subarray(0, jpeg.length - 30)],
    ['a JPEG whose segment runs past its end', Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1, 0xff, 0xff, 0])])],
    ['a PNG cut short', png.subarray(0, png.length - 20)],
  ];
  for (const [what, bytes] of cases) t.throws(() => redactPhoto(bytes), VaultError, what);
  // An unknown critical chunk: the picture cannot be read without it, nor known to be harmless.
  const crit = Buffer.from(png);
  const at = crit.indexOf(Buffer.from('IDAT'));
  crit.write('QQQQ', at, 'latin1');
  t.throws(() => redactPhoto(crit), /unknown critical chunk/, 'a PNG with an unknown critical chunk');
});

t.test('covered formats: JPEG and PNG; HEIC, WebP and GIF are not', async (t) => {
  t.same(['image/jpeg', 'image/JPEG', 'image/jpg', 'image/png', 'image/heic', 'image/webp', 'image/gif'].map(isRedactable), [true, true, true, true, false, false, false]);
});

// Found by the attacker review: the filter copied every marker that was not APPn or COM,
// and kept segments and chunks at any length, so text hidden in a reserved marker, in a
// long Adobe segment or after a table's fields reached the copy.
const secret = Buffer.from('GPSLatitude=32.5149 GPSLongitude=-117.0382 Model=iPhone 13');
const segment = (marker: number, payload: Uint8Array) => Buffer.concat([Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255]), payload]);
const afterSoi = (...extra: Buffer[]) => Buffer.concat([jpeg.subarray(0, 2), ...extra, jpeg.subarray(2)]);

t.test('JPEG: any segment not known as needed is dropped, a long Adobe segment cut, a table with more than its fields refused', async (t) => {
  const adobe = Buffer.concat([Buffer.from('Adobe'), Buffer.from([0, 100, 0, 0, 0, 0, 1]), secret]);
  for (const [what, bytes] of [
    ['JPGn 0xF0', afterSoi(segment(0xf0, secret))],
    ['reserved JPG 0xC8', afterSoi(segment(0xc8, secret))],
    ['hierarchical DHP 0xDE', afterSoi(segment(0xde, secret))],
    ['JPEG-LS 0xF8', afterSoi(segment(0xf8, secret))],
    ['Adobe APP14 with more than its 12 bytes', afterSoi(segment(0xee, adobe))],
  ] as const) {
    const out = redactPhoto(bytes);
    t.notOk(Buffer.from(out.bytes).includes(secret.subarray(0, 18)), `${what}: not in the copy`);
    t.ok(Buffer.from(out.bytes).includes(scans(jpeg)), `${what}: the picture is still there, byte for byte`);
  }
  const kept = redactPhoto(afterSoi(segment(0xee, adobe))).bytes;
  const at = Buffer.from(kept).indexOf(Buffer.from('Adobe'));
  t.same([...kept.subarray(at - 4, at + 12)], [0xff, 0xee, 0, 14, ...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 1], 'the Adobe segment keeps its 12 bytes');
  // A quantisation table with text after its 65 bytes.
  const dqt = segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1), secret]));
  t.throws(() => redactPhoto(afterSoi(dqt)), /not a well-formed JPEG: a segment 0xDB/, 'a DQT longer than its tables');
});

t.test('PNG: a kept chunk longer than its kind allows is refused', async (t) => {
  const crc = (b: Buffer) => {
    let c = ~0;
    for (const byte of b) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdrEnd = 8 + 12 + 13;
  const withChunk = (c: Buffer) => Buffer.concat([png.subarray(0, ihdrEnd), c, png.subarray(ihdrEnd)]);
  t.ok(redactPhoto(withChunk(chunk('pHYs', Buffer.from([0, 0, 11, 19, 0, 0, 11, 19, 1])))), 'a pHYs of 9 bytes is kept');
  for (const type of ['pHYs', 'bKGD', 'gAMA', 'sRGB']) {
    t.throws(() => redactPhoto(withChunk(chunk(type, Buffer.concat([Buffer.alloc(9), secret])))), /not a well-formed PNG/, `a long ${type}`);
  }
});
