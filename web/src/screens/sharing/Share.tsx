import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice, Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isKeyChanged, KeyChangedWarning } from '../../components/KeyChanged.tsx';
import type { ContactView, PhotoOriginalView } from '../../worker/types.ts';

/** The end of the chosen day where the person is (an end date means "through that day"). */
function endOfDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!, 23, 59, 59, 999).toISOString();
}

/**
 * Share one or several testimonies with a person. The person's keys are looked up and
 * checked against the pin first; an unverified person needs an explicit yes that names the
 * risk; a changed key stops everything with the full-screen warning.
 */
export function Share({ ids }: { ids: string[] }) {
  const store = useStore();
  const [handle, setHandle] = useState('');
  const [until, setUntil] = useState('');
  const [contact, setContact] = useState<ContactView | null>(null);
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [accepted, setAccepted] = useState(false);
  // Redacted copies by default when a chosen testimony holds a photo that says where it was taken.
  const [redact, setRedact] = useState(false);
  const redactTouched = useRef(false);
  // One testimony shared redacted: the photos whose original the person may open anyway,
  // none ticked unless the person ticks it (the choice cannot be taken back).
  const [photos, setPhotos] = useState<PhotoOriginalView[]>([]);
  const [originals, setOriginals] = useState<string[]>([]);
  const [done, setDone] = useState(false);
  const look = useAction();
  const share = useAction();

  useEffect(() => {
    void store.client.api.contacts().then(setContacts, () => {});
    void store.client.api.photosWithLocation(ids).then((n) => redactTouched.current || setRedact(n > 0), () => {});
    if (ids.length === 1) void store.client.api.photoOriginals(ids[0]!).then(setPhotos, () => {});
  }, []);

  const tick = (fileId: string, on: boolean) => setOriginals((list) => (on ? [...list, fileId] : list.filter((f) => f !== fileId)));

  const find = (e: Event) => {
    e.preventDefault();
    setContact(null);
    setAccepted(false);
    void look.run(async () => setContact(await store.client.api.lookup(handle)));
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!contact || (!contact.verified && !accepted)) return;
    void share.run(async () => {
      await store.client.api.share(ids, contact.handle, until ? endOfDay(until) : null, !accepted, redact, redact ? originals : []);
      setDone(true);
    });
  };

  const changed = [look.error, share.error].find(isKeyChanged);
  return (
    <main class="narrow">
      <h1 tabIndex={-1}>{t('share.title', { count: ids.length })}</h1>
      {changed !== undefined && (
        <KeyChangedWarning
          error={changed}
          onClose={() => {
            look.setError(undefined);
            share.setError(undefined);
            setContact(null);
          }}
        />
      )}
      {done ? (
        <>
          <Info>{t('share.done', { count: ids.length, handle: contact?.handle ?? '' })}</Info>
          <button type="button" class="primary" onClick={() => store.go(ids.length === 1 ? { name: 'record', id: ids[0]! } : { name: 'records' })}>
            {t('actions.back')}
          </button>
        </>
      ) : (
        <>
          <form class="row" onSubmit={find}>
            <div class="field">
              <label for="share-handle">{t('share.person')}</label>
              <input id="share-handle" list="share-contacts" value={handle} onInput={(e) => setHandle(e.currentTarget.value)} autoComplete="off" autoCapitalize="none" spellcheck={false} required />
              <datalist id="share-contacts">
                {contacts.map((c) => (
                  <option key={c.handle} value={c.handle} />
                ))}
              </datalist>
            </div>
            <button type="submit" disabled={look.busy}>
              {t('share.check')}
            </button>
          </form>
          {!isKeyChanged(look.error) && <ErrorNotice error={look.error} />}
          {contact && (
            <form onSubmit={submit}>
              {contact.verified ? (
                <Info>{t('share.verified', { handle: contact.handle })}</Info>
              ) : (
                <div class="notice warn" role="alert">
                  <p>
                    <strong>{t('share.unverifiedTitle', { handle: contact.handle })}</strong>
                  </p>
                  <p>{t('share.unverifiedRisk', { handle: contact.handle })}</p>
                  <button type="button" class="link" onClick={() => store.go({ name: 'contacts', handle: contact.handle })}>
                    {t('share.verifyFirst')}
                  </button>
                  <label class="check">
                    <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} /> {t('share.acceptRisk')}
                  </label>
                </div>
              )}
              <Field label={t('share.until')} hint={t('share.untilHint')} type="date" value={until} onValue={setUntil} />
              <label class="check">
                <input type="checkbox" checked={redact} onChange={(e) => ((redactTouched.current = true), setRedact(e.currentTarget.checked))} /> {t('share.redact')}
              </label>
              <p class="hint">{t('share.redactHint')}</p>
              {redact && ids.length === 1 && photos.length > 0 && (
                <fieldset>
                  <legend>{t('share.originals')}</legend>
                  <p class="hint">{t('share.originalsHint')}</p>
                  {photos.map((p) => (
                    <div key={p.fileId}>
                      <p id={`original-${p.fileId}`}>
                        <strong>{p.name}</strong>
                      </p>
                      {p.shared ? (
                        <p class="hint">{t('share.originalSent')}</p>
                      ) : (
                        <label class="check">
                          <input type="checkbox" aria-describedby={`original-${p.fileId}`} checked={originals.includes(p.fileId)} onChange={(e) => tick(p.fileId, e.currentTarget.checked)} /> {t('share.original')}
                        </label>
                      )}
                    </div>
                  ))}
                </fieldset>
              )}
              {!isKeyChanged(share.error) && <ErrorNotice error={share.error} />}
              <button type="submit" class="primary" disabled={share.busy || (!contact.verified && !accepted)}>
                {share.busy ? t('share.working') : t('share.submit', { handle: contact.handle, count: ids.length })}
              </button>
            </form>
          )}
        </>
      )}
    </main>
  );
}
