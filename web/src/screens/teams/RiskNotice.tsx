import type { ComponentChildren } from 'preact';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';

/**
 * A person whose safety number this account never compared: what the risk is, the way to
 * compare it on the contacts screen, and the explicit yes that lets the action go on (none
 * when there is nothing to hold back, as for a reviewer reading a case).
 */
export function RiskNotice({ handle, risk, accept, accepted = false, onAccept, children }: {
  handle: string; risk: string; accept?: string; accepted?: boolean; onAccept?: (on: boolean) => void; children?: ComponentChildren;
}) {
  const store = useStore();
  return (
    <div class="notice warn" role="alert">
      <p>
        <strong>{t('share.unverifiedTitle', { handle })}</strong>
      </p>
      <p>{risk}</p>
      {children}
      <button type="button" class="link" onClick={() => store.go({ name: 'contacts', handle })}>
        {t('teams.compareFirst', { handle })}
      </button>
      {accept && onAccept && (
        <label class="check">
          <input type="checkbox" checked={accepted} onChange={(e) => onAccept(e.currentTarget.checked)} /> {accept}
        </label>
      )}
    </div>
  );
}
