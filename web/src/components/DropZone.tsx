import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

/**
 * Files dropped here or picked with the button (a labelled file input, so keyboards and
 * screen readers reach it): `onFiles` gets them, the input is cleared for the next pick.
 */
export function DropZone({ pick, hint, accept, multiple = false, onFiles, children }: { pick: string; hint?: string; accept: string; multiple?: boolean; onFiles: (files: File[]) => void; children?: ComponentChildren }) {
  const [over, setOver] = useState(false);
  const give = (list: FileList | null | undefined) => list && list.length > 0 && onFiles(Array.from(list));
  return (
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
        give(e.dataTransfer?.files);
      }}
    >
      {children}
      <label class="button primary">
        {pick}
        <input
          type="file"
          class="visually-hidden"
          multiple={multiple}
          accept={accept}
          onChange={(e) => {
            give(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </label>
      {hint && <p class="hint">{hint}</p>}
    </div>
  );
}
