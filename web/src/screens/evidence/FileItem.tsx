import { useEffect, useState } from 'preact/hooks';
import { formatBytes, formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { objectUrl, revokeUrl, saveBlob } from '../../state/object-urls.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTampering } from '../../errors.ts';
import type { AttachmentView, PhotoReveals } from '../../worker/types.ts';
import { Reveals } from './Reveals.tsx';
import { viewKindOf } from '../../media-types.ts';


/**
 * What a redacted copy left out, as the client library names it (stored, signed, in the
 * record), in the reader's words; a name not listed here (an APPn segment, a PNG chunk) is
 * "other data" with the name beside it.
 */
const REMOVED_KEYS: Record<string, string> = {
  EXIF: 'exif',
  XMP: 'xmp',
  IPTC: 'iptc',
  'ICC profile': 'icc',
  MPF: 'mpf',
  comment: 'comment',
  text: 'text',
  time: 'time',
  'JFIF thumbnail': 'thumbnail',
  APP14: 'adobe',
  'data after the image': 'trailing',
};
const removedInWords = (removed: string[]) =>
  [...new Set(removed.map((r) => (REMOVED_KEYS[r] ? t(`evidence.removedKind.${REMOVED_KEYS[r]}`) : t('evidence.removedKind.other', { name: r }))))].join(', ');

/**
 * One evidence file. Opening or saving reads the whole file in the worker and verifies it
 * (every chunk, size, and the SHA-256 taken at intake) before anything is shown or saved.
 */
export function FileItem({ recordId, file }: { recordId: string; file: AttachmentView }) {
  const { client } = useStore();
  const k = viewKindOf(file.type);
  const [thumb, setThumb] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const [reveals, setReveals] = useState<PhotoReveals>({});
  const [noThumb, setNoThumb] = useState(false);
  const action = useAction();
  const thumbLoad = useAction();

  useEffect(() => {
    // Any declared picture is read for what its metadata reveals (a HEIC photo's GPS), even one
    // the page will not show: the thumbnail is drawn anew as a JPEG ([Note: what a decrypted file may be shown as]).
    if (!file.type.toLowerCase().startsWith('image/')) return;
    let url: string | null = null;
    void thumbLoad.run(async () => {
      const { thumb: drawn, reveals: found } = await client.api.thumbnail(recordId, file.fileId, file.type);
      setReveals(found);
      if (!drawn) return setNoThumb(true);
      url = objectUrl(drawn);
      setThumb(url);
    });
    return () => url && revokeUrl(url);
  }, [file.fileId]);
  useEffect(() => () => opened && revokeUrl(opened), [opened]);

  const open = () =>
    action.run(async () => {
      setOpened(objectUrl(await client.api.openFile(recordId, file.fileId, file.type)));
    });

  const save = () => action.run(async () => saveBlob(await client.api.openFile(recordId, file.fileId, file.type), file.name));

  return (
    <li class="file">
      <div class="file-head">
        {thumb ? <img class="thumb" src={thumb} alt={t('evidence.thumbAlt', { name: file.name })} /> : <span class="thumb placeholder" aria-hidden="true" />}
        <div>
          <p class="name">{file.name}</p>
          <p class="hint">
            {t(`evidence.kind.${k}`)} · {formatBytes(file.size)} · {formatDate(file.uploadedAt)}
          </p>
          <p class="hint sha">
            {t('evidence.sha256')} <code>{file.sha256}</code>
          </p>
          {file.sharedOriginal && <p class="hint redacted">{t('evidence.sharedOriginal')}</p>}
          {file.redactionOf && (
            <p class="hint sha redacted">
              {t('evidence.redactedCopy', { name: file.redactionOf.name, sha256: file.redactionOf.sha256 })}
              {file.redactionOf.removed.length > 0 && ` · ${t('evidence.removed', { list: removedInWords(file.redactionOf.removed) })}`}
            </p>
          )}
        </div>
      </div>
      {/* A photo the device cannot draw gets no thumbnail, quietly; one that fails verification is a warning. */}
      {thumbLoad.error !== undefined && (isTampering(thumbLoad.error) ? <ErrorNotice error={thumbLoad.error} /> : <p class="hint">{t('evidence.noThumb')}</p>)}
      {noThumb && <p class="hint">{t('evidence.noThumb')}</p>}
      <Reveals reveals={reveals} />
      <ErrorNotice error={action.error} />
      <div class="actions">
        {k !== 'other' && (
          <button type="button" onClick={() => void open()} disabled={action.busy} aria-label={t('evidence.openNamed', { name: file.name })}>
            {t('evidence.open')}
          </button>
        )}
        <button type="button" onClick={() => void save()} disabled={action.busy} aria-label={t('evidence.saveNamed', { name: file.name })}>
          {t('evidence.save')}
        </button>
        {action.busy && <span role="status">{t('evidence.verifying')}</span>}
      </div>
      {opened && (
        <div class="viewer">
          {k === 'image' && <img src={opened} alt={file.name} />}
          {k === 'video' && <video src={opened} controls />}
          {k === 'audio' && <audio src={opened} controls />}
          <p class="notice ok" role="status">
            {t('evidence.verified')}
          </p>
          <button type="button" onClick={() => setOpened(null)}>
            {t('actions.close')}
          </button>
        </div>
      )}
    </li>
  );
}
