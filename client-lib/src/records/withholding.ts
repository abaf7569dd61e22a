import { concat, fromBase64Url, fromUtf8, toBase64Url as b64, u32be, utf8, uuidBytes, LABEL } from '@testimony-vault/protocol';
import { open, seal } from '../crypto/aead.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { IntegrityError } from '../errors.ts';
import type { RecordKeys } from './record-key.ts';
import type { Attachment, WireAttachment, WithheldFile } from './types.ts';

// [Note: withheld originals]
// Under a seeded key version ([Note: redacted access] in record-key.ts) every photo or
// video original (keptFromRedacted, below) is written with its file key wrapped
// under the key version's originals key instead of open in the body. Full readers hold the
// seed and unwrap it; a redacted reader holds the record key only, sees that the original
// exists (name, type, size, SHA-256) and opens its redacted copy, whose key is open. The
// wrap is an AEAD bound to label ‖ record id ‖ key version ‖ file id, so a wrapped key
// cannot be moved to another file, record or key version.

/** Names of pictures and videos, whatever type they were declared with. */
const MEDIA_NAME = /\.(jpe?g|jfif|png|apng|heic|heif|hif|avif|webp|gif|tiff?|dng|raw|cr2|cr3|nef|arw|orf|rw2|jxl|bmp|mp4|m4v|mov|qt|3gp|3g2|mkv|webm|avi)$/i;

/**
 * What a redacted reader never gets the key of: every original that is or may be a photo or
 * a video, which can carry where and with what it was taken. The declared type is the
 * uploader's word (a browser gives "" for a .heic on some systems, an unknown extension
 * becomes application/octet-stream), so a file with no useful type or with a picture's or
 * video's name is withheld too. Only JPEG and PNG get redacted copies; the rest are
 * withheld with none (RedactionSummary.notCovered says so). An original the owner marked
 * shareOriginal is not ([Note: originals shared on purpose]).
 */
export const keptFromRedacted = (a: Pick<Attachment, 'type' | 'name' | 'redactionOf' | 'shareOriginal'>): boolean => {
  return a.shareOriginal !== true && isMediaOriginal(a);
};

/** A photo or video original, marked or not: what Vault.shareOriginal may mark. */
export const isMediaOriginal = (a: Pick<Attachment, 'type' | 'name' | 'redactionOf'>): boolean => {
  if (a.redactionOf !== undefined) return false;
  const type = a.type.toLowerCase().split(';')[0]!.trim();
  return type.startsWith('image/') || type.startsWith('video/') || type === '' || type === 'application/octet-stream' || MEDIA_NAME.test(a.name);
};

function fileKeyAad(recordId: string, keyVersion: number, fileId: string): Uint8Array {
  return concat(utf8(LABEL.originalFileKey), uuidBytes(recordId), u32be(keyVersion), utf8(fileId));
}

function bytes(text: string, what: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new IntegrityError(`${what} is not base64url`);
  }
}

/** The manifest as body version 2 stores it under `keys`. */
export function encodeAttachments(s: Sodium, list: Attachment[], keys: RecordKeys, recordId: string, keyVersion: number): WireAttachment[] {
  return list.map(({ key, withheld: _, ...rest }) => {
    if (keys.kind !== 'seed' || !keptFromRedacted(rest)) return { ...rest, key };
    const wrapped = seal(s, keys.originalsKey, bytes(key, 'file key'), fileKeyAad(recordId, keyVersion, rest.fileId));
    return { ...rest, withheldKey: b64(wrapped) };
  });
}

/** The manifest a reader holding `keys` can open, and the originals kept from it. */
export function decodeAttachments(
  s: Sodium, list: (Attachment | WireAttachment)[], keys: RecordKeys, recordId: string, keyVersion: number,
): { attachments: Attachment[]; withheldOriginals: WithheldFile[] } {
  const attachments: Attachment[] = [];
  const withheldOriginals: WithheldFile[] = [];
  for (const a of list) {
    checkMark(recordId, a);
    if ('key' in a && typeof a.key === 'string') {
      attachments.push(a as Attachment);
      continue;
    }
    const { withheldKey, ...rest } = a as WireAttachment & { withheldKey: string };
    if (keys.kind !== 'seed') {
      withheldOriginals.push({ fileId: rest.fileId, name: rest.name, type: rest.type, size: rest.size, sha256: rest.sha256, uploadedAt: rest.uploadedAt });
      continue;
    }
    const key = open(s, keys.originalsKey, bytes(withheldKey, 'withheld file key'), fileKeyAad(recordId, keyVersion, rest.fileId), `file key of ${rest.fileId}`);
    attachments.push({ ...rest, key: b64(key), withheld: true });
  }
  checkLinks(recordId, [...attachments, ...withheldOriginals], attachments);
  return { attachments, withheldOriginals };
}

// [Note: originals shared on purpose]
// The owner may mark a photo or video original `shareOriginal: true` (evidence whose place
// or time matters): keptFromRedacted is then false and its key is written open, so every
// reader of the key version, redacted ones included, opens it. The mark is in the signed
// body, so neither the server nor a reader can add it; a reader refuses a mark that is not
// `true`, sits on a redacted copy or a non-media file, or comes with a wrapped key (no
// client of the owner writes those). It is one-way: files are not re-encrypted at a
// rotation, so a key once readable stays readable, and no call takes the mark off.
function checkMark(recordId: string, a: Attachment | WireAttachment): void {
  const mark = (a as { shareOriginal?: unknown }).shareOriginal;
  if (mark === undefined) return;
  if (mark !== true || !isMediaOriginal(a) || !('key' in a && typeof a.key === 'string')) {
    throw new IntegrityError(`record ${recordId}: file ${a.fileId} carries a shared-original mark no owner's client writes`);
  }
}

/**
 * A redacted copy must name an original of the same body, by file id and SHA-256: the
 * author's client writes it so, and a body that says otherwise was not written by one.
 */
function checkLinks(recordId: string, all: WithheldFile[], attachments: Attachment[]): void {
  for (const a of attachments) {
    const link = a.redactionOf;
    if (link === undefined) continue;
    const original = all.find((o) => o.fileId === link.fileId);
    if (!original || original.sha256 !== link.sha256 || link.fileId === a.fileId) {
      throw new IntegrityError(`record ${recordId}: redacted copy ${a.fileId} names an original the record does not hold`);
    }
  }
}

/** Who holds redacted access, as the owner wrote it: sealed under the originals key. */
export interface RedactedGrantee {
  handle: string;
}

function granteesAad(recordId: string, version: number, keyVersion: number): Uint8Array {
  return concat(utf8(LABEL.redactedGrantees), uuidBytes(recordId), u32be(version), u32be(keyVersion));
}

export function sealRedactedGrantees(s: Sodium, keys: RecordKeys, list: RedactedGrantee[], recordId: string, version: number, keyVersion: number): string | undefined {
  if (keys.kind !== 'seed' || list.length === 0) return undefined;
  return b64(seal(s, keys.originalsKey, utf8(JSON.stringify(list)), granteesAad(recordId, version, keyVersion)));
}

/** The owner's list, or [] for a reader without the originals key (it never needs it). */
export function openRedactedGrantees(s: Sodium, keys: RecordKeys, sealed: string | undefined, recordId: string, version: number, keyVersion: number): RedactedGrantee[] {
  if (sealed === undefined || keys.kind !== 'seed') return [];
  const plain = open(s, keys.originalsKey, bytes(sealed, 'redacted grantees'), granteesAad(recordId, version, keyVersion), `record ${recordId} v${version} redacted grantees`);
  let list: unknown;
  try {
    list = JSON.parse(fromUtf8(plain));
  } catch {
    list = null;
  }
  if (!Array.isArray(list) || !list.every((g) => typeof g === 'object' && g !== null && typeof (g as RedactedGrantee).handle === 'string')) {
    throw new IntegrityError(`record ${recordId} v${version}: the redacted grantees are not a list of handles`);
  }
  return (list as RedactedGrantee[]).map((g) => ({ handle: g.handle }));
}
