// The library's verified records as the page sees them: no file key or header leaves the worker.
import type { VaultRecord } from '@testimony-vault/client';
import type { ChangedField, RecordDraft, RecordSummary, RecordView, VersionView } from './types.ts';

const text = (v: unknown) => (typeof v === 'string' ? v : '');

// [Note: names shown as written]
// Bidirectional overrides and isolates, and control characters, make a short text read as
// something else ("declaracion\u202Efdp.exe" shows as "declaracionexe.pdf"). Names, titles,
// places and tags are shown without them (team and case names and team titles too,
// worker/teams.ts); the narrative is shown whole, isolated by CSS.
const DISGUISE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
export const label = (v: unknown) => text(v).replace(DISGUISE, '\ufffd');

export function summary(r: VaultRecord): RecordSummary {
  return {
    id: r.id,
    title: label(r.fields.title),
    place: label(r.fields.place),
    occurredAt: text(r.fields.occurredAt),
    tags: Array.isArray(r.fields.tags) ? r.fields.tags.filter((t): t is string => typeof t === 'string').map(label) : [],
    language: text(r.fields.language),
    owner: r.owner,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    writtenAt: r.writtenAt.toISOString(),
    attachments: r.attachments.length,
  };
}

export function view(r: VaultRecord, me: string): RecordView {
  const names = new Map([...r.attachments, ...r.withheldOriginals].map((a) => [a.fileId, a.name]));
  return {
    ...summary(r),
    narrative: text(r.fields.narrative),
    latestVersion: r.latestVersion,
    author: { ...r.author },
    mine: r.owner === me,
    files: r.attachments.map(({ fileId, name, type, size, sha256, uploadedAt, redactionOf, shareOriginal }) => ({
      fileId, name: label(name), type: label(type), size, sha256, uploadedAt,
      ...(shareOriginal ? { sharedOriginal: true as const } : {}),
      ...(redactionOf ? { redactionOf: { name: label(names.get(redactionOf.fileId) ?? redactionOf.fileId), sha256: redactionOf.sha256, removed: redactionOf.removed.map(label) } } : {}),
    })),
    withheld: r.withheldOriginals.map(({ fileId, name, size, sha256 }) => ({ fileId, name: label(name), size, sha256 })),
  };
}

const FIELDS: (keyof RecordDraft)[] = ['title', 'narrative', 'occurredAt', 'place', 'language', 'tags'];

export function changes(before: VaultRecord | undefined, after: VaultRecord): ChangedField[] {
  if (!before) return [];
  const out: ChangedField[] = FIELDS.filter((f) => JSON.stringify(before.fields[f] ?? null) !== JSON.stringify(after.fields[f] ?? null));
  // Originals kept from this reader count too: a version that added one changed the files,
  // though this reader sees only its name ("no change" misled a lawyer, the walkthrough).
  const ids = (r: VaultRecord) => new Set([...r.attachments, ...r.withheldOriginals].map((a) => a.fileId));
  const [was, is] = [ids(before), ids(after)];
  if ([...is].some((id) => !was.has(id))) out.push('files-added');
  if ([...was].some((id) => !is.has(id))) out.push('files-removed');
  return out;
}

export function versionView(r: VaultRecord, before: VaultRecord | undefined): VersionView {
  return { version: r.version, writtenAt: r.writtenAt.toISOString(), author: r.author.handle, changed: changes(before, r), title: label(r.fields.title) };
}
