import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { CaseView } from '../../worker/teams.ts';
import { CaseHistory } from './CaseHistory.tsx';
import { ChainFailure } from './ChainFailure.tsx';
import { NameForm } from './NameForm.tsx';
import { RiskNotice } from './RiskNotice.tsx';
import { ShareCase } from './ShareCase.tsx';
import { WriteTestimony } from './WriteTestimony.tsx';
import { caseTitle, teamTitle } from './names.ts';

/** A case: its name, its verified testimonies (all or none), writing into it, and its reviewers. */
export function Case({ team, caseId }: { team: string; caseId: string }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<CaseView | null>(null);
  const [renaming, setRenaming] = useState(false);
  const load = useAction();

  const reload = () =>
    void load.run(async () => {
      setLoaded(await store.client.api.teamCase(team, caseId));
    });
  useEffect(reload, [team, caseId]);

  const rename = async (name: string, requireVerified: boolean) => {
    await store.client.api.renameTeamOrCase(team, caseId, name, requireVerified);
    setRenaming(false);
    reload();
  };

  const item = loaded?.team.cases.find((c) => c.caseId === caseId);
  const role = loaded?.team.myRole;
  const sharer = role === 'reviewer' ? loaded?.team.addedBy : null;
  return (
    <main>
      <h1 tabIndex={-1}>{caseTitle(team, caseId, loaded?.name)}</h1>
      <p class="hint">{teamTitle(team, loaded?.team.name)}</p>
      {load.busy && <p class="hint" role="status">{t('teams.verifying')}</p>}
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'team', id: team })} onRetry={reload} />
      {loaded && load.error === undefined && (
        <>
          {sharer &&
            (sharer.verified ? (
              <Info>{t('teams.sharedByVerified', { handle: sharer.handle })}</Info>
            ) : (
              <RiskNotice handle={sharer.handle} risk={t('teams.sharerRisk', { handle: sharer.handle })} />
            ))}
          {role === 'coordinator' && caseId !== team &&
            (renaming ? (
              <NameForm
                label={t('teams.caseNameLabel')} submitLabel={t('teams.saveName')} busyLabel={t('teams.savingName')}
                initial={loaded.name ?? ''} addedBy={loaded.team.addedBy} onName={rename} onCancel={() => setRenaming(false)}
              />
            ) : (
              <button type="button" onClick={() => setRenaming(true)}>
                {t('teams.renameCase')}
              </button>
            ))}
          <section aria-labelledby="case-records-title">
            <h2 id="case-records-title">{t('teams.records')}</h2>
            {loaded.records.length === 0 && <p>{t('teams.noRecords')}</p>}
            <ul class="records">
              {loaded.records.map((r) => (
                <li key={r.id}>
                  <button type="button" class="link" onClick={() => store.go({ name: 'team-record', team, id: r.id })}>
                    {r.title}
                  </button>
                  <span class="hint"> · {t('teams.writtenBy', { handle: r.author, date: formatDate(r.writtenAt) })}</span>
                </li>
              ))}
            </ul>
          </section>
          {(role === 'member' || role === 'coordinator') && <WriteTestimony team={team} caseId={caseId} addedBy={loaded.team.addedBy} onWritten={reload} />}
          {role === 'coordinator' && item && <ShareCase team={team} item={item} onChanged={reload} />}
          <CaseHistory team={team} caseId={caseId} />
        </>
      )}
      {role !== 'reviewer' && (
        <button type="button" onClick={() => store.go({ name: 'team', id: team })}>
          {t('teams.backToTeam')}
        </button>
      )}
    </main>
  );
}
