import type { RedactionSummary, VaultRecord } from '@testimony-vault/client/node';
import type { Context } from './context.ts';

// How redacted copies and withheld originals read, in `show`, the custody note and `share`
// (docs/PROTOCOL.md "Redacted copies"): a copy names its original and the original's SHA-256,
// so a court can be shown both.

/** One line per redacted copy and per original kept from this reader. */
export function redactionLines(ctx: Context, r: VaultRecord): string[] {
  const names = new Map([...r.attachments, ...r.withheldOriginals].map((a) => [a.fileId, a.name]));
  return [
    ...r.attachments.flatMap((a) =>
      a.redactionOf ? [ctx.t('redaction.copyOf', { name: a.name, original: names.get(a.redactionOf.fileId) ?? a.redactionOf.fileId, sha256: a.redactionOf.sha256, removed: a.redactionOf.removed.join(', ') || '—' })] : [],
    ),
    ...r.attachments.flatMap((a) => (a.shareOriginal ? [ctx.t('redaction.sharedOriginal', { name: a.name, sha256: a.sha256 })] : [])),
    ...r.withheldOriginals.map((w) => ctx.t('redaction.withheld', { name: w.name, sha256: w.sha256 })),
  ];
}

/** What `share --redact-photos` did, file by file. */
export function summaryLines(ctx: Context, s: RedactionSummary): string[] {
  return [
    ...s.made.map((m) => ctx.t('redaction.made', { name: m.name, removed: m.removed.join(', ') || '—' })),
    ...s.existing.map((m) => ctx.t('redaction.existing', { name: m.name })),
    ...s.notCovered.map((n) => ctx.t('redaction.notCovered', { name: n.name, type: n.type })),
  ];
}
