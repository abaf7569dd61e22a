import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { SafetyNumber } from '../../components/SafetyNumber.tsx';
import { isKeyChanged, KeyChangedWarning } from '../../components/KeyChanged.tsx';
import type { ContactView } from '../../worker/types.ts';
import { QrScan } from './QrScan.tsx';

/**
 * People to share with. A person's keys are pinned the first time they are looked up; they
 * are "verified" only once the safety number the person reads out (by phone, in person)
 * matches the one shown here, typed in by the user.
 */
export function Contacts({ initial }: { initial?: string | undefined }) {
  const store = useStore();
  const [handle, setHandle] = useState(initial ?? '');
  const [contact, setContact] = useState<ContactView | null>(null);
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [heard, setHeard] = useState('');
  const [justVerified, setJustVerified] = useState(false);
  const list = useAction();
  const look = useAction();
  const verify = useAction();

  const reload = () => list.run(async () => setContacts(await store.client.api.contacts()));
  useEffect(() => {
    void reload();
    if (initial) void find();
  }, []);

  async function find(e?: Event) {
    e?.preventDefault();
    setContact(null);
    setJustVerified(false);
    setHeard('');
    await look.run(async () => {
      setContact(await store.client.api.lookup(handle));
      await reload();
    });
  }

  const check = (e: Event) => {
    e.preventDefault();
    if (!contact) return;
    void verify.run(async () => {
      setContact(await store.client.api.verifyContact(contact.handle, heard));
      setJustVerified(true);
      await reload();
    });
  };

  return (
    <main>
      <h1 tabIndex={-1}>{t('contacts.title')}</h1>
      <p>{t('contacts.intro')}</p>
      <form class="row" onSubmit={(e) => void find(e)}>
        <Field label={t('contacts.handle')} value={handle} onValue={setHandle} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
        <button type="submit" class="primary" disabled={look.busy}>
          {t('contacts.find')}
        </button>
      </form>
      {look.error !== undefined && (isKeyChanged(look.error) ? <KeyChangedWarning error={look.error} onClose={() => look.setError(undefined)} /> : <ErrorNotice error={look.error} />)}
      {contact && (
        <section class="contact-card" aria-labelledby="contact-title">
          <h2 id="contact-title">
            {contact.handle} · {contact.verified ? t('contacts.verified') : t('contacts.notVerified')}
          </h2>
          <SafetyNumber handle={contact.handle} number={contact.fingerprint} />
          {!contact.verified && (
            <form onSubmit={check}>
              <ol class="steps">
                <li>{t('contacts.step1', { handle: contact.handle })}</li>
                <li>{t('contacts.step2')}</li>
                <li>{t('contacts.step3')}</li>
              </ol>
              <QrScan
                handle={contact.handle}
                onNumber={(digits) => {
                  setHeard(digits);
                  void verify.run(async () => {
                    setContact(await store.client.api.verifyContact(contact.handle, digits));
                    setJustVerified(true);
                    await reload();
                  });
                }}
              />
              <Field label={t('contacts.heard')} hint={t('contacts.heardHint')} value={heard} onValue={setHeard} inputMode="numeric" autoComplete="off" spellcheck={false} required />
              <ErrorNotice error={verify.error} />
              <button type="submit" class="primary" disabled={verify.busy}>
                {t('contacts.verify')}
              </button>
            </form>
          )}
          {justVerified && <Info>{t('contacts.nowVerified', { handle: contact.handle })}</Info>}
          <div class="actions">
            <button type="button" onClick={() => store.go({ name: 'records' })}>
              {t('contacts.toRecords')}
            </button>
          </div>
        </section>
      )}
      <section aria-labelledby="contacts-list">
        <h2 id="contacts-list">{t('contacts.list')}</h2>
        <ErrorNotice error={list.error} />
        {contacts.length === 0 && !list.busy && <p>{t('contacts.none')}</p>}
        <ul class="contacts">
          {contacts.map((c) => (
            <li key={c.handle}>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setHandle(c.handle);
                  setContact(c);
                  setJustVerified(false);
                }}
              >
                {c.handle}
              </button>{' '}
              <span class={c.verified ? 'badge ok' : 'badge warn'}>{c.verified ? t('contacts.verified') : t('contacts.notVerified')}</span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
