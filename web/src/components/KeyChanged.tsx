import { t } from '../i18n/index.ts';
import { failureOf } from '../errors.ts';
import { useStore } from '../state/store.ts';

export const isKeyChanged = (err: unknown) => err !== undefined && err !== null && failureOf(err).name === 'KeyChangedError';

/**
 * A person's keys are not the ones this account pinned: the whole screen says so, with both
 * safety numbers and what to do. Nothing was shared; nothing is until they are verified again.
 */
export function KeyChangedWarning({ error, onClose }: { error: unknown; onClose: () => void }) {
  const store = useStore();
  const f = failureOf(error);
  return (
    <div class="fullscreen-warning" role="alertdialog" aria-modal="true" aria-labelledby="key-changed-title">
      <div class="inner">
        <h1 id="key-changed-title" tabIndex={-1}>
          {t('keyChanged.title', { handle: f.handle ?? '' })}
        </h1>
        <p>{t('keyChanged.body', { handle: f.handle ?? '' })}</p>
        <dl>
          <dt>{t('keyChanged.pinned')}</dt>
          <dd class="safety-number">{f.pinnedFingerprint}</dd>
          <dt>{t('keyChanged.presented')}</dt>
          <dd class="safety-number">{f.presentedFingerprint}</dd>
        </dl>
        <ol>
          <li>{t('keyChanged.do1', { handle: f.handle ?? '' })}</li>
          <li>{t('keyChanged.do2')}</li>
          <li>{t('keyChanged.do3')}</li>
        </ol>
        <div class="actions">
          <button
            type="button"
            class="primary"
            onClick={() => {
              onClose();
              store.go({ name: 'contacts', handle: f.handle ?? '' });
            }}
          >
            {t('keyChanged.verify')}
          </button>
          <button type="button" onClick={onClose}>
            {t('keyChanged.close')}
          </button>
        </div>
      </div>
    </div>
  );
}
