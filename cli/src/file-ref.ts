import type { Attachment, VaultRecord } from '@testimony-vault/client/node';
import type { Context } from './context.ts';
import { UsageError } from './errors.ts';
import { SHORT_ID } from './record-ref.ts';

// A file of a record is named on the command line as a record is (record-ref.ts): by its
// id, a unique prefix of it (6 characters or more), or its name as `tvault show` prints it.
// A name two files share is refused with their ids: a script must say which.

const ID_PREFIX = /^[0-9a-f][0-9a-f-]{5,}$/i;

/** The file of `record` that `ref` names, among those this reader can open. */
export function resolveFile(c: Context, record: VaultRecord, ref: string): Attachment {
  const wanted = ref.trim().toLowerCase();
  const byId = ID_PREFIX.test(wanted) ? record.attachments.filter((a) => a.fileId.toLowerCase().startsWith(wanted)) : [];
  const matches = byId.length ? byId : record.attachments.filter((a) => a.name.trim().toLowerCase() === wanted);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new UsageError(c.t('file.none', { id: record.id.slice(0, SHORT_ID), ref }));
  const list = matches.map((a) => `  ${a.fileId}  ${a.name}  (${a.size} bytes)`).join('\n');
  throw new UsageError(c.t('file.several', { id: record.id.slice(0, SHORT_ID), ref, list }));
}
