import { redactJpeg } from './jpeg.ts';
import { isPng, redactPng } from './png.ts';

// Why the project's own filter and not a library: no well-kept package removes metadata
// losslessly from both JPEG and PNG in a browser worker and in Node (those found were
// JPEG-only, unmaintained since 2019, or a one-commit repository); the canvas route
// re-encodes the picture and does not exist in Node. The container formats are small and
// fixed (ITU T.81 markers, PNG chunks), so an allowlist filter is short, and the tests
// check its output with an independent reader (exifr) on files written by exiftool.

/** The formats a redacted copy can be made of. HEIC, WebP, GIF and others are not covered. */
export const REDACTABLE_TYPES = ['image/jpeg', 'image/png'] as const;

export function isRedactable(type: string): boolean {
  return (REDACTABLE_TYPES as readonly string[]).includes(type.toLowerCase().replace('image/jpg', 'image/jpeg'));
}

/**
 * A copy of a photo with its location, device and other metadata removed, the picture
 * itself unchanged (the compressed data is copied, not re-encoded). `removed` names what
 * was taken out ("EXIF", "XMP", "IPTC", "ICC profile", "text", ...). Throws VaultError for
 * a format that is not covered or a file that is not well formed.
 */
export function redactPhoto(bytes: Uint8Array): { bytes: Uint8Array; removed: string[] } {
  return isPng(bytes) ? redactPng(bytes) : redactJpeg(bytes);
}
