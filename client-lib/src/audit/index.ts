// The audit log, client side (docs/PROTOCOL.md "Audit log: Merkle tree").
export { AuditClient, type AuditCheckpoint, type AuditHistoryPage } from './client.ts';
export { openNote, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoint.ts';
export { checkRecordEvents, type AuditHistoryEvent } from './events.ts';
export { AUDIT_EXPORT_EXPLANATION, AUDIT_EXPORT_FORMAT, buildExport, cryptoReady, exportTreeSize, verifyExport, verifyExportWith, type AuditExport } from './export.ts';
