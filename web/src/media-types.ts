// [Note: what a decrypted file may be shown as]
// A file's type is its uploader's word, and a shared file's uploader may be hostile. A blob:
// URL made from it belongs to the vault's origin, and opened at the top of a tab ("open image
// in new tab", a copied address) it is a document of its own type: an SVG or HTML file there
// ran script in the vault's origin with no Content-Security-Policy (the attacker review's
// first finding). So a decrypted file becomes a Blob of its declared type only when that type
// is a picture, a video or a sound a browser shows without script; anything else is
// application/octet-stream, saved and never shown. Used by the worker, which makes the Blob,
// and by the page, which decides what to show.

const SHOWN = new Set([
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/bmp',
  'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime', 'video/3gpp', 'video/x-matroska',
  'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/opus', 'audio/wav', 'audio/x-wav', 'audio/webm', 'audio/flac', 'audio/3gpp', 'audio/amr', 'audio/x-m4a',
]);

const OPAQUE = 'application/octet-stream';

/** The declared type without parameters, in lower case. */
const bare = (declared: string) => declared.toLowerCase().split(';')[0]!.trim();

/** The type a decrypted file's Blob is given: its declared type if it is safe to show, else opaque bytes. */
export function blobTypeOf(declared: string): string {
  const type = bare(declared);
  return SHOWN.has(type) ? type : OPAQUE;
}

export type ViewKind = 'image' | 'video' | 'audio' | 'other';

/** How the page shows a file: as a picture, a video, a sound, or not at all (saved only). */
export function viewKindOf(declared: string): ViewKind {
  const type = blobTypeOf(declared);
  return type.startsWith('image/') ? 'image' : type.startsWith('video/') ? 'video' : type.startsWith('audio/') ? 'audio' : 'other';
}
