// Public surface of @testimony-vault/client. Runs in browsers and Node (no Node built-ins).
export { Vault } from './vault.ts';
export type { AttachOptions, AttachResult } from './files/upload.ts';
export type { FileSource } from './files/sources.ts';
export type { DownloadOptions } from './files/download.ts';
export type { ConnectOptions, RegisterOptions, LoginOptions, RecoverOptions, SessionInfo } from './vault.ts';
export * from './errors.ts';
export { checkPassphrase, PASSPHRASE_FLOOR, STRENGTH_REASONS } from './account/strength.ts';
export type { CheckPassphraseOptions, PassphraseStrength, StrengthFloor, StrengthReason } from './account/strength.ts';
export { MemoryStateStore, type StateStore } from './state/store.ts';
export { IntegrityStateStore } from './state/integrity-store.ts';
export type { KdfLimits, KdfParams } from './crypto/kdf.ts';
export { KDF_FLOOR } from '@testimony-vault/protocol';
export type { RecordFields, RecordChanges, Attachment, VaultRecord, RecordPage, RecordAuthor, RedactionLink, WithheldFile } from './records/types.ts';
export type { ContactInfo } from './contacts/client.ts';
export type { GrantInfo, GrantStatus, SharedRecordInfo, ShareOptions } from './sharing/client.ts';
export type { RedactionSummary } from './redaction/copies.ts';
export { redactPhoto, isRedactable, REDACTABLE_TYPES } from './redaction/photo.ts';
export { isMediaOriginal } from './records/withholding.ts';
export { cryptoReady, verifyExport } from './audit/export.ts';
export type { AuditExport } from './audit/export.ts';
export type { AuditHistoryEvent } from './audit/events.ts';
export type { AuditAddress } from './audit/address.ts';
export type { AuditCheckpoint } from './audit/client.ts';
export type { AuditAction, AuditOutcome, NewerAuditWord } from '@testimony-vault/protocol';
/** RFC 6962 / RFC 9162 Merkle tree hashing and proof verification. */
export * as merkle from '@testimony-vault/protocol/merkle';
