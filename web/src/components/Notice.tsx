import { t } from '../i18n/index.ts';
import { detailOf, isTampering, messageKey, shownCode } from '../errors.ts';

/** An error in plain words with what to do; data that fails verification is a tampering warning instead. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error === undefined || error === null) return null;
  if (isTampering(error)) return <TamperWarning error={error} />;
  const code = shownCode(error);
  const detail = detailOf(error);
  return (
    <div class="notice error" role="alert">
      <p>{t(messageKey(error))}</p>
      {detail && <p>{t(detail.key, detail.params)}</p>}
      {code && <p class="code">{t('errors.code', { code })}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('actions.retry')}
        </button>
      )}
    </div>
  );
}

export function TamperWarning({ error }: { error: unknown }) {
  return (
    <section class="tamper" role="alert" aria-labelledby="tamper-title">
      <h2 id="tamper-title">{t('tamper.title')}</h2>
      <p>{t('tamper.body')}</p>
      <ul>
        <li>{t('tamper.do1')}</li>
        <li>{t('tamper.do2')}</li>
        <li>{t('tamper.do3')}</li>
      </ul>
      <p class="code">{t('errors.code', { code: shownCode(error) })}</p>
    </section>
  );
}

export function Info({ children }: { children: preact.ComponentChildren }) {
  return (
    <div class="notice info" role="status">
      {children}
    </div>
  );
}
