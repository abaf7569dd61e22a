// Types of the records API (no logic here).

/** The known fields of a testimony; any other JSON-serialisable field may be added. */
export interface RecordFields {
  title: string;
  narrative: string;
  /** When the events happened (ISO 8601 date or date-time). */
  occurredAt?: string;
  place?: string;
  /** BCP 47 language tag of the narrative, e.g. "es", "en", "ht". */
  language?: string;
  tags?: string[];
  [extra: string]: unknown;
}

/** Changes for a new version: a field set to undefined is removed. */
export type RecordChanges = { [K in keyof RecordFields]?: RecordFields[K] | undefined };

/** An evidence file in the record's encrypted manifest (filled in by the files capability). */
export interface Attachment {
  fileId: string;
  /** Original file name, as given at intake. */
  name: string;
  /** Media type, e.g. image/jpeg. */
  type: string;
  /** Plaintext size in bytes. */
  size: number;
  /**
   * Bytes the stream carries: the file, then zeros up to its Padmé size (PROTOCOL.md "Padding").
   * Absent in files written before padding: the stream is then exactly `size` bytes.
   */
  paddedSize?: number;
  /** SHA-256 (hex) of the original bytes, computed at intake: the chain-of-custody anchor. */
  sha256: string;
  /** File key (base64url) and secretstream header (base64url): only ever inside the encrypted body. */
  key: string;
  header: string;
  /** Plaintext bytes per encrypted chunk. */
  chunkSize: number;
  /** Number of encrypted chunks. */
  chunks: number;
  uploadedAt: string;
  /** Set on a redacted copy: the original it was made from (docs/PROTOCOL.md "Redacted copies"). */
  redactionOf?: RedactionLink;
  /** Set on an original kept from redacted readers (its key is wrapped under the originals key). */
  withheld?: true;
  /**
   * Set by the owner (Vault.shareOriginal) on a photo or video original that redacted readers
   * may open as it is, metadata and all: its key is written open. In the signed body; one-way.
   */
  shareOriginal?: true;
}

/** What a redacted copy names of its original, in the signed body. */
export interface RedactionLink {
  fileId: string;
  /** SHA-256 (hex) of the original, as in its own entry and the custody note. */
  sha256: string;
  /** What was taken out, e.g. ["EXIF", "XMP"]: the words of redactPhoto. */
  removed: string[];
}

/** An original a redacted reader may know of but not open: no key, no header. */
export type WithheldFile = Pick<Attachment, 'fileId' | 'name' | 'type' | 'size' | 'sha256' | 'uploadedAt'>;

export interface RecordAuthor {
  handle: string;
  /** Safety number of the author's keys. */
  fingerprint: string;
  /**
   * True when the author is this account, or a contact whose safety number was compared
   * (verifyContact). False for keys trusted on first use only: check before relying on it.
   */
  verified: boolean;
}

/** A decrypted, verified version of a record. */
export interface VaultRecord {
  id: string;
  version: number;
  keyVersion: number;
  /** The latest version the server reported when this one was fetched. */
  latestVersion: number;
  owner: string;
  author: RecordAuthor;
  /** When version 1 was written (signed by the author, not the server's clock). */
  createdAt: Date;
  /** When this version was written (signed by the author). */
  writtenAt: Date;
  fields: RecordFields;
  /** The files this reader can open. */
  attachments: Attachment[];
  /** 'redacted': this reader holds the record key only, and photo originals are kept from it. */
  access: 'full' | 'redacted';
  /** Originals kept from this (redacted) reader: always empty for the owner and full readers. */
  withheldOriginals: WithheldFile[];
}

export interface RecordPage {
  records: VaultRecord[];
  /** Pass to listRecords to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** The plaintext inside a record version's envelope, before padding. */
export interface RecordBodyV1 {
  v: 1;
  fields: RecordFields;
  attachments: Attachment[];
  createdAt: string;
  writtenAt: string;
}

/** An attachment as body version 2 stores it: the file key open, or wrapped under the originals key. */
export type WireAttachment = Omit<Attachment, 'key' | 'withheld'> & ({ key: string } | { withheldKey: string });

/**
 * Body version 2: attachments may keep their keys from redacted readers, and the owner's
 * list of redacted grantees travels sealed under the originals key (only full readers open it).
 */
export interface RecordBodyV2 {
  v: 2;
  /**
   * What the key version holds, as its owner made it: a seed (record key and originals key)
   * or a bare version-1 record key. Signed with the body, so a sealed key of another kind
   * is caught ([Note: the body names its key kind] in verify.ts).
   */
  keys: 'seed' | 'v1';
  fields: RecordFields;
  attachments: WireAttachment[];
  createdAt: string;
  writtenAt: string;
  redactedGrantees?: string;
}
