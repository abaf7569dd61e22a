import { concat } from '@testimony-vault/protocol';
import type { Http } from '../api/http.ts';
import type { Sodium } from '../crypto/sodium.ts';
import { VaultError } from '../errors.ts';
import { decryptFile } from '../files/download.ts';
import type { AttachOptions, AttachResult } from '../files/upload.ts';
import type { RecordsClient } from '../records/client.ts';
import type { Attachment } from '../records/types.ts';
import { keptFromRedacted } from '../records/withholding.ts';
import { isRedactable, redactPhoto } from './photo.ts';

/** A photo is read whole into memory to be filtered: past this it is not treated as one. */
const PHOTO_REDACT_MAX_BYTES = 128 * 1024 * 1024;

/** What making redacted copies did, file by file. */
export interface RedactionSummary {
  /** Copies made now, each with the original it was made from. */
  made: { original: string; name: string; fileId: string; removed: string[] }[];
  /** Originals that already had a copy. */
  existing: { original: string; name: string; fileId: string }[];
  /** Photos kept from redacted readers with no copy: a format not covered, or a file not well formed. */
  notCovered: { original: string; name: string; type: string; reason: string }[];
}

export interface CopyDeps {
  s: Sodium;
  http: Http;
  records: RecordsClient;
  attach: (recordId: string, bytes: Uint8Array, options: AttachOptions) => Promise<AttachResult>;
  newId: () => string;
}

/** "IMG_0042.jpg" → "IMG_0042.redacted.jpg": the copy's name says what it is. */
export function redactedName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.redacted${name.slice(dot)}` : `${name}.redacted`;
}

async function readAll(d: CopyDeps, a: Attachment): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of decryptFile(d.s, d.http, a)) parts.push(p);
  return concat(...parts);
}

/**
 * Makes a redacted copy of every photo original of the record (owner only) that has none
 * yet and whose format is covered, each uploaded as a new file linked to its original in
 * the signed manifest (RecordsClient.redactionLinks). The originals are not touched.
 */
export async function makeRedactedCopies(d: CopyDeps, recordId: string): Promise<RedactionSummary> {
  const record = await d.records.get(recordId);
  const summary: RedactionSummary = { made: [], existing: [], notCovered: [] };
  for (const original of record.attachments.filter(keptFromRedacted)) {
    const copy = record.attachments.find((c) => c.redactionOf?.fileId === original.fileId);
    if (copy) {
      summary.existing.push({ original: original.fileId, name: copy.name, fileId: copy.fileId });
      continue;
    }
    const skip = (reason: string) => summary.notCovered.push({ original: original.fileId, name: original.name, type: original.type, reason });
    if (!isRedactable(original.type)) {
      skip('format not covered');
      continue;
    }
    if (original.size > PHOTO_REDACT_MAX_BYTES) {
      skip('too large for a photo');
      continue;
    }
    let redacted: { bytes: Uint8Array; removed: string[] };
    try {
      redacted = redactPhoto(await readAll(d, original));
    } catch (err) {
      if (!(err instanceof VaultError) || err.constructor !== VaultError) throw err;
      skip(err.message);
      continue;
    }
    const fileId = d.newId();
    d.records.redactionLinks.set(fileId, { fileId: original.fileId, sha256: original.sha256, removed: redacted.removed });
    try {
      await d.attach(recordId, redacted.bytes, { name: redactedName(original.name), type: original.type, fileId });
    } finally {
      d.records.redactionLinks.delete(fileId);
    }
    summary.made.push({ original: original.fileId, name: redactedName(original.name), fileId, removed: redacted.removed });
  }
  return summary;
}
