import { formatDate, t } from '../i18n/index.ts';
import type { RecordView } from '../worker/types.ts';

/** A testimony's dated, placed and tagged fields as rows of a <dl class="meta">: the record and any earlier version of it. */
export function FieldRows({ record }: { record: Pick<RecordView, 'occurredAt' | 'place' | 'tags' | 'language'> }) {
  return (
    <>
      {record.occurredAt && (
        <>
          <dt>{t('fields.occurredAt')}</dt>
          <dd>{formatDate(record.occurredAt, false)}</dd>
        </>
      )}
      {record.place && (
        <>
          <dt>{t('fields.place')}</dt>
          <dd>{record.place}</dd>
        </>
      )}
      {record.tags.length > 0 && (
        <>
          <dt>{t('fields.tags')}</dt>
          <dd>{record.tags.join(', ')}</dd>
        </>
      )}
      {record.language && (
        <>
          <dt>{t('fields.language')}</dt>
          <dd>{t(`languages.${record.language}`, { defaultValue: record.language })}</dd>
        </>
      )}
    </>
  );
}
