import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { SafetyNumber } from '../../components/SafetyNumber.tsx';
import { isKeyChanged, KeyChangedWarning } from '../../components/KeyChanged.tsx';
import type { ContactView } from '../../worker/types.ts';
import { RiskNotice } from './RiskNotice.tsx';

export interface CheckedPerson {
  contact: ContactView;
  /** Unverified, and the person said yes to the risk named on screen. */
  accepted: boolean;
}

/**
 * A person's handle, looked up and checked against this account's pin before anything is
 * sealed to them. Verified: said so. Not verified: their safety number, the way to compare it
 * on the contacts screen, and an explicit yes that names the risk.
 */
export function PersonCheck({ id, label, onChecked }: { id: string; label: string; onChecked: (p: CheckedPerson | null) => void }) {
  const store = useStore();
  const [handle, setHandle] = useState('');
  const [contact, setContact] = useState<ContactView | null>(null);
  const [accepted, setAccepted] = useState(false);
  const look = useAction();

  const find = (e: Event) => {
    e.preventDefault();
    setContact(null);
    setAccepted(false);
    onChecked(null);
    void look.run(async () => {
      const c = await store.client.api.lookup(handle);
      setContact(c);
      onChecked({ contact: c, accepted: false });
    });
  };
  const accept = (on: boolean) => {
    setAccepted(on);
    if (contact) onChecked({ contact, accepted: on });
  };

  return (
    <>
      <form class="row" onSubmit={find}>
        <div class="field">
          <label for={id}>{label}</label>
          <input id={id} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
        </div>
        <button type="submit" disabled={look.busy}>
          {t('share.check')}
        </button>
      </form>
      {isKeyChanged(look.error) ? <KeyChangedWarning error={look.error} onClose={() => look.setError(undefined)} /> : <ErrorNotice error={look.error} />}
      {contact &&
        (contact.verified ? (
          <Info>{t('share.verified', { handle: contact.handle })}</Info>
        ) : (
          <RiskNotice handle={contact.handle} risk={t('teams.unverifiedRisk', { handle: contact.handle })} accept={t('teams.acceptRisk', { handle: contact.handle })} accepted={accepted} onAccept={accept}>
            <SafetyNumber handle={contact.handle} number={contact.fingerprint} qr={false} />
          </RiskNotice>
        ))}
    </>
  );
}

/** A checked person may be sealed to: verified, or the risk accepted. */
export const mayProceed = (p: CheckedPerson | null): p is CheckedPerson => p !== null && (p.contact.verified || p.accepted);
