// Search and filter over decrypted records, in the worker: the server never sees a query.
// [Note: the search index]
// The index is the list of record summaries this worker decrypted, in memory only; it is
// rebuilt from the server after each change this worker makes and dropped with the worker
// at lock. Matching ignores case and accents, so "migracion" finds "Migración".
import type { RecordSummary, SearchQuery } from './types.ts';

export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

function haystack(r: RecordSummary): string {
  return fold([r.title, r.place, r.occurredAt, r.tags.join(' ')].join('\n'));
}

export function matches(r: RecordSummary, q: SearchQuery): boolean {
  const words = fold(q.text).split(/\s+/).filter(Boolean);
  if (words.length > 0) {
    const hay = haystack(r);
    if (!words.every((w) => hay.includes(w))) return false;
  }
  if (q.tag && !r.tags.some((t) => fold(t) === fold(q.tag))) return false;
  // Records without a date of events are left out only when a date bound is asked for.
  const day = (r.occurredAt || '').slice(0, 10);
  if (q.from && (!day || day < q.from)) return false;
  if (q.to && (!day || day > q.to)) return false;
  return true;
}

export function allTags(records: RecordSummary[]): string[] {
  const seen = new Map<string, string>();
  for (const r of records) for (const t of r.tags) if (!seen.has(fold(t))) seen.set(fold(t), t);
  return [...seen.values()].sort((a, b) => a.localeCompare(b));
}
