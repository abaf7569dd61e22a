import { useEffect, useState } from 'preact/hooks';
import { formatDate, t } from '../../i18n/index.ts';
import { useStore } from '../../state/store.ts';
import { useAction } from '../../components/Busy.tsx';
import type { TeamVersionsView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';

/**
 * Every version of a team record, newest first, each verified, with who wrote it and when:
 * a correction does not hide the original. A version that fails its checks is named with a
 * warning in its place and hides no other.
 */
export function TeamVersions({ team, id, onClose }: { team: string; id: string; onClose: () => void }) {
  const store = useStore();
  const [loaded, setLoaded] = useState<TeamVersionsView | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const load = useAction();
  useEffect(() => {
    void load.run(async () => setLoaded(await store.client.api.teamRecordVersions(team, id)));
  }, [team, id]);

  const rows = loaded
    ? [...loaded.versions.map((v) => ({ version: v.version, v })), ...loaded.failures.map((f) => ({ version: f.version, f }))].sort((a, b) => b.version - a.version)
    : [];
  return (
    <section aria-labelledby="team-versions-title">
      <h2 id="team-versions-title">{t('versions.title')}</h2>
      {load.busy && <p class="hint" role="status">{t('records.loading')}</p>}
      <ChainFailure error={load.error} onClose={onClose} />
      <ol class="versions" reversed aria-labelledby="team-versions-title">
        {rows.map((row) =>
          'v' in row ? (
            <li key={row.version}>
              <p>
                <strong>{t('versions.version', { version: row.version })}</strong> · {t('teams.writtenBy', { handle: row.v.author, date: formatDate(row.v.writtenAt) })}
              </p>
              <p>{row.v.title}</p>
              {open === row.version ? (
                <>
                  <p class="narrative">{row.v.narrative}</p>
                  <button type="button" onClick={() => setOpen(null)}>
                    {t('actions.close')}
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setOpen(row.version)}>
                  {t('teams.readVersion', { version: row.version })}
                </button>
              )}
            </li>
          ) : (
            <li key={row.version}>
              <div class="notice warn" role="alert">
                <p>
                  <strong>{t('teams.versionFailed', { version: row.version })}</strong>
                </p>
                <p class="code">{t('errors.code', { code: row.f.code })}</p>
              </div>
            </li>
          ),
        )}
      </ol>
      <button type="button" onClick={onClose}>
        {t('actions.close')}
      </button>
    </section>
  );
}
