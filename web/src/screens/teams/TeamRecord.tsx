import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { Info } from '../../components/Notice.tsx';
import { useAction } from '../../components/Busy.tsx';
import type { TeamRecordView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';
import { TeamVersions } from './TeamVersions.tsx';
import { TestimonyForm } from './WriteTestimony.tsx';

/**
 * One team record, shown only after its signature, its author's membership and its key were
 * checked. Members correct it (its next version) and anyone who reads it sees every version.
 */
export function TeamRecord({ team, id }: { team: string; id: string }) {
  const store = useStore();
  const [record, setRecord] = useState<TeamRecordView | null>(null);
  const [mode, setMode] = useState<'read' | 'correct' | 'versions'>('read');
  const [corrected, setCorrected] = useState(0);
  const load = useAction();
  const reload = () => void load.run(async () => setRecord(await store.client.api.teamRecord(team, id)));
  useEffect(reload, [team, id]);

  const correct = async (draft: TeamRecordView['draft'], requireVerified: boolean) => {
    const version = await store.client.api.correctTeamTestimony(team, id, draft, requireVerified);
    setCorrected(version);
    setMode('read');
    reload();
  };
  const writer = record?.myRole === 'member' || record?.myRole === 'coordinator';

  return (
    <main class="narrow">
      <ChainFailure error={load.error} onClose={() => store.go({ name: 'team', id: team })} />
      {record ? (
        <article>
          <h1 tabIndex={-1}>{record.title}</h1>
          <p class="hint">
            {t('teams.writtenBy', { handle: record.author, date: formatDate(record.writtenAt) })}
            {record.latestVersion > 1 && <> · {t('teams.versionOf', { version: record.version, count: record.latestVersion })}</>}
          </p>
          {corrected > 0 && mode === 'read' && <Info>{t('teams.corrected', { version: corrected })}</Info>}
          {mode === 'correct' ? (
            <section aria-labelledby="correct-title">
              <h2 id="correct-title">{t('teams.correctTitle')}</h2>
              <p class="hint">{t('teams.correctHint')}</p>
              <TestimonyForm initial={record.draft} addedBy={record.addedBy} saveLabel={t('teams.saveCorrection')} onSave={correct} onCancel={() => setMode('read')} />
            </section>
          ) : (
            <p class="narrative">{record.narrative}</p>
          )}
          {mode === 'read' && (
            <div class="actions">
              {writer && (
                <button type="button" onClick={() => setMode('correct')}>
                  {t('teams.correct')}
                </button>
              )}
              <button type="button" onClick={() => setMode('versions')}>
                {t('teams.versions')}
              </button>
            </div>
          )}
          {mode === 'versions' && <TeamVersions team={team} id={id} onClose={() => setMode('read')} />}
        </article>
      ) : (
        <h1 tabIndex={-1}>{t('teams.record')}</h1>
      )}
      <button type="button" onClick={() => store.go(record ? { name: 'team-case', team, caseId: record.caseId } : { name: 'team', id: team })}>
        {t('teams.backToCase')}
      </button>
    </main>
  );
}
