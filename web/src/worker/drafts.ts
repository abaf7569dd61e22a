// A form's draft as record fields: what the personal and the team record editors save.
import type { RecordChanges, RecordFields } from '@testimony-vault/client';
import type { RecordDraft } from './types.ts';

/** The fields of a new record: trimmed, empty optional fields left out. */
export function fieldsOf(d: RecordDraft): RecordFields & { tags: string[] } {
  const fields: RecordFields & { tags: string[] } = {
    title: d.title.trim(),
    narrative: d.narrative,
    tags: d.tags.map((t) => t.trim()).filter(Boolean),
  };
  if (d.occurredAt) fields.occurredAt = d.occurredAt;
  if (d.place.trim()) fields.place = d.place.trim();
  if (d.language) fields.language = d.language;
  return fields;
}

/** The changes of a new version: an optional field emptied in the form is removed. */
export function changesOf(d: RecordDraft): RecordChanges {
  const changes: RecordChanges = fieldsOf(d);
  for (const k of ['occurredAt', 'place', 'language'] as const) if (!d[k]) changes[k] = undefined;
  return changes;
}
