import { useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import { isTampering } from '../../errors.ts';
import type { CaseHistoryEventView } from '../../worker/teams.ts';

/**
 * Who wrote, read or was refused each testimony of a case, and who was let in: the case's
 * audit history, verified whole against the signed log before it is shown (docs/PROTOCOL.md
 * "A case's audit history"). A history that fails is the tampering warning, never a list.
 */
export function CaseHistory({ team, caseId }: { team: string; caseId: string }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<{ events: CaseHistoryEventView[]; checkpointSize: number } | null>(null);
  const load = useAction();
  const open = () =>
    void load.run(async () => {
      setLoaded(null);
      setLoaded(await store.client.api.teamCaseHistory(team, caseId));
    });
  const about = (e: CaseHistoryEventView) =>
    e.about === 'record' ? (e.title ?? t('caseHistory.aRecord')) : t(`caseHistory.about.${e.about}`);

  return (
    <section aria-labelledby="case-history-title">
      <h2 id="case-history-title">{t('caseHistory.title')}</h2>
      <p class="hint">{t('caseHistory.intro')}</p>
      <button type="button" disabled={load.busy} onClick={open}>
        {loaded ? t('caseHistory.again') : t('caseHistory.open')}
      </button>
      {load.busy && <p role="status">{t('history.verifying')}</p>}
      <ErrorNotice error={load.error} onRetry={open} />
      {loaded && !isTampering(load.error) && load.error === undefined && (
        <>
          <p class="notice ok" role="status">
            {t('caseHistory.verified', { count: loaded.events.length, size: loaded.checkpointSize })}
          </p>
          <ol class="events" aria-labelledby="case-history-title">
            {loaded.events.map((e) => (
              <li key={e.index} class={e.outcome === 'ok' ? 'event' : 'event refused'}>
                <p>
                  <span class="badge">{about(e)}</span> <strong>{e.actor ?? t('history.nobody')}</strong>{' '}
                  {t(`history.action.${e.action}`, { defaultValue: e.action, subject: e.subject ?? '' })}
                  {e.outcome !== 'ok' && <span class="badge warn"> {t(`history.outcome.${e.outcome}`, { defaultValue: e.outcome })}</span>}
                </p>
                <p class="hint">
                  {formatDate(e.at)} · #{e.index}
                </p>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
