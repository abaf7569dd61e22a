import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import type { AttachmentView } from '../../worker/types.ts';
import { FileItem } from './FileItem.tsx';
import { UploadList } from './UploadList.tsx';

/** A record's evidence: files to pick or drop (many at once), their uploads, and the files kept. */
export function Evidence({ recordId, files, mine }: { recordId: string; files: AttachmentView[]; mine: boolean }) {
  const store = useStore();
  const [over, setOver] = useState(false);
  const add = (list: FileList | null) => list && list.length > 0 && store.uploads.add(recordId, Array.from(list));

  return (
    <section aria-labelledby="evidence-title">
      <h2 id="evidence-title">{t('evidence.title')}</h2>
      {mine && (
        <div
          class={over ? 'dropzone over' : 'dropzone'}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            add(e.dataTransfer?.files ?? null);
          }}
        >
          <p>{t('evidence.drop')}</p>
          <label class="button primary">
            {t('evidence.pick')}
            <input
              type="file"
              class="visually-hidden"
              multiple
              accept="image/*,video/*,audio/*,application/pdf,*/*"
              onChange={(e) => {
                add(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
            />
          </label>
          <p class="hint">{t('evidence.pickHint')}</p>
        </div>
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
    </section>
  );
}
