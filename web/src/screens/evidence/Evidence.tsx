import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import type { AttachmentView, WithheldView } from '../../worker/types.ts';
import { DropZone } from '../../components/DropZone.tsx';
import { FileItem } from './FileItem.tsx';
import { UploadList } from './UploadList.tsx';

/** A record's evidence: files to pick or drop (many at once), their uploads, and the files kept. */
export function Evidence({ recordId, files, withheld = [], mine }: { recordId: string; files: AttachmentView[]; withheld?: WithheldView[]; mine: boolean }) {
  const store = useStore();

  return (
    <section aria-labelledby="evidence-title">
      <h2 id="evidence-title">{t('evidence.title')}</h2>
      {mine && (
        <DropZone pick={t('evidence.pick')} hint={t('evidence.pickHint')} accept="image/*,video/*,audio/*,application/pdf,*/*" multiple onFiles={(files) => store.uploads.add(recordId, files)}>
          <p>{t('evidence.drop')}</p>
        </DropZone>
      )}
      <UploadList recordId={recordId} />
      {files.length === 0 ? (
        <p>{t('evidence.none')}</p>
      ) : (
        <ul class="files">
          {files.map((f) => (
            <FileItem key={f.fileId} recordId={recordId} file={f} />
          ))}
        </ul>
      )}
      {withheld.length > 0 && (
        <>
          <h3>{t('evidence.withheldTitle')}</h3>
          <ul class="withheld">
            {withheld.map((w) => (
              <li key={w.fileId} class="hint sha">
                {t('evidence.withheld', { name: w.name, sha256: w.sha256 })}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
