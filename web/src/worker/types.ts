// What the page and the worker exchange: plain data only, never a key. The worker turns
// the library's verified records into these views; file keys and headers stay behind.
import type { WorkerFailure } from './errors-transfer.ts';

export interface AccountView {
  handle: string;
  isAdmin: boolean;
  /** Safety number of this account's keys. */
  fingerprint: string;
}

export interface AttachmentView {
  fileId: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  uploadedAt: string;
  /** A redacted copy: the original's name and SHA-256 (from the signed manifest). */
  redactionOf?: { name: string; sha256: string; removed: string[] };
  /** An original its owner let redacted readers open, location and device data included (signed). */
  sharedOriginal?: true;
}

/** A photo or video original, when sharing: `shared` once its owner let redacted readers open it. */
export interface PhotoOriginalView {
  fileId: string;
  name: string;
  shared: boolean;
}

/** An original kept from this (redacted) reader: it exists, it cannot be opened. */
export interface WithheldView {
  fileId: string;
  name: string;
  size: number;
  sha256: string;
}

export interface RecordSummary {
  id: string;
  title: string;
  place: string;
  occurredAt: string;
  tags: string[];
  language: string;
  owner: string;
  version: number;
  createdAt: string;
  writtenAt: string;
  attachments: number;
}

export interface RecordView extends RecordSummary {
  narrative: string;
  latestVersion: number;
  author: { handle: string; fingerprint: string; verified: boolean };
  files: AttachmentView[];
  /** Originals kept from this reader (a redacted share). */
  withheld: WithheldView[];
  /** Whether this account may edit it (it is the owner). */
  mine: boolean;
}

/** The fields a person fills in when taking a statement. */
export interface RecordDraft {
  title: string;
  narrative: string;
  occurredAt: string;
  place: string;
  language: string;
  tags: string[];
}

export type ChangedField = keyof RecordDraft | 'files-added' | 'files-removed';

export interface VersionView {
  version: number;
  writtenAt: string;
  author: string;
  /** What differs from the version before (empty for version 1). */
  changed: ChangedField[];
  title: string;
}

export interface SearchQuery {
  text: string;
  tag: string;
  /** ISO dates (yyyy-mm-dd), inclusive; empty: no bound. Compared with the record's date of events. */
  from: string;
  to: string;
}

export interface SearchResult {
  records: RecordSummary[];
  /** Every tag among the records this account can read, for the filter. */
  tags: string[];
  /** How many records were searched. */
  searched: number;
}

export interface SessionView {
  id: string;
  /** Decrypted in the worker; null when unnamed or unreadable. */
  device: string | null;
  /** The stored label did not open for this session: altered or moved by the server. */
  deviceUnreadable: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}

export type UploadPhase = 'uploading' | 'waiting' | 'done';

export interface UploadProgress {
  phase: UploadPhase;
  bytes: number;
  total: number;
}

export interface StrengthView {
  ok: boolean;
  score: number;
  reasons: string[];
}

export interface ContactView {
  handle: string;
  /** Safety number: 60 digits in 12 groups. */
  fingerprint: string;
  verified: boolean;
}



export interface GrantView {
  handle: string;
  fingerprint: string;
  verified: boolean;
  grantedBy: string;
  grantedAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: string;
  access: 'full' | 'redacted';
}

export interface InboxItem {
  recordId: string;
  title: string;
  owner: { handle: string; fingerprint: string; verified: boolean };
  grantedAt: string;
  expiresAt: string | null;
  /** Shared with redacted copies of its photos (the originals are kept from this account). */
  redacted: boolean;
}

/** A shared record that failed its checks: shown as a tampering warning, never as a record. */
export interface InboxFailure {
  recordId: string;
  /** Who the server says shared it (its word, unverified, when the grant itself failed). */
  from: string | null;
  failure: WorkerFailure;
}

export interface Inbox {
  items: InboxItem[];
  failures: InboxFailure[];
}

export interface HistoryEventView {
  index: number;
  at: string;
  actor: string | null;
  action: string;
  outcome: string;
  fileId: string | null;
  subject: string | null;
}

export interface ExportCheck {
  recordId: string;
  origin: string;
  verifierKey: string;
  chainComplete: boolean;
  events: HistoryEventView[];
  /** For a bundle: each file of MANIFEST.sha256 and whether its bytes match. */
  files: { name: string; ok: boolean }[];
}

/** What a photo's metadata reveals (empty when nothing). */
export interface PhotoReveals {
  gps?: { latitude: number; longitude: number };
  device?: string;
  takenAt?: string;
}
