// Files opened in the worker: the whole stream is read and verified (every chunk, the
// size and the SHA-256 taken at intake) before anything is handed to the page to show or
// save. Thumbnails of photos are drawn here, on the device, never on the server.
import exifr from 'exifr';
import type { Vault } from '@testimony-vault/client';
import type { PhotoReveals } from './types.ts';
import { blobTypeOf } from '../media-types.ts';

const THUMB_WIDTH = 320;

export async function verifiedBlob(vault: Vault, recordId: string, fileId: string, type: string): Promise<Blob> {
  const stream = await vault.openFile(recordId, fileId);
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  // Reaching here means decryptFile verified the last chunk, the size and the SHA-256.
  return new Blob(parts as BlobPart[], { type: blobTypeOf(type) }); // [Note: what a decrypted file may be shown as]
}

export async function thumbnail(photo: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(photo, { resizeWidth: THUMB_WIDTH, resizeQuality: 'medium', imageOrientation: 'from-image' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
  } finally {
    bitmap.close();
  }
}

/**
 * What a photo's metadata tells whoever gets the file: where (GPS), with what device, when.
 * Read on the device (exifr), from the verified bytes; nothing is changed.
 */
export async function reveals(photo: Blob): Promise<PhotoReveals> {
  const out: PhotoReveals = {};
  try {
    const tags = (await exifr.parse(photo, { gps: true, pick: ['Make', 'Model', 'DateTimeOriginal', 'CreateDate', 'latitude', 'longitude', 'GPSLatitude', 'GPSLongitude', 'GPSLatitudeRef', 'GPSLongitudeRef'] })) as Record<string, unknown> | undefined;
    if (!tags) return out;
    if (typeof tags.latitude === 'number' && typeof tags.longitude === 'number') out.gps = { latitude: tags.latitude, longitude: tags.longitude };
    const device = [tags.Make, tags.Model].filter((v): v is string => typeof v === 'string' && v.trim() !== '').join(' ').trim();
    if (device) out.device = device;
    const taken = tags.DateTimeOriginal ?? tags.CreateDate;
    if (taken instanceof Date && !Number.isNaN(taken.getTime())) out.takenAt = taken.toISOString();
  } catch {
    // no readable metadata: nothing to say
  }
  return out;
}
