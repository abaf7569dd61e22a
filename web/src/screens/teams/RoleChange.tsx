import { t } from '../../i18n/index.ts';
import { useAction } from '../../components/Busy.tsx';
import { useStore } from '../../state/store.ts';
import type { TeamMemberView, TeamView } from '../../worker/teams.ts';
import { ChainFailure } from './ChainFailure.tsx';

const otherRole = (role: TeamMemberView['role']) => (role === 'coordinator' ? 'member' : 'coordinator');

/**
 * A coordinator's confirmation before a member becomes a coordinator, or a coordinator a
 * member. The team keeps one coordinator at least: the chain refuses a statement that leaves
 * none, so the last one is told so here, with nothing to confirm.
 */
export function RoleChange({ team, member, onDone, onCancel }: { team: TeamView; member: TeamMemberView; onDone: () => void; onCancel: () => void }) {
  const store = useStore();
  const change = useAction();
  const role = otherRole(member.role);
  const last = member.role === 'coordinator' && team.members.filter((m) => m.role === 'coordinator').length === 1;
  const titleId = `role-${member.handle}`;

  const confirm = () =>
    void change.run(async () => {
      await store.client.api.setTeamRole(team.id, member.handle, role);
      onDone();
    });

  return (
    <div class="notice warn" role="alertdialog" aria-labelledby={titleId}>
      <p id={titleId}>
        <strong>{t('teams.roleTitle', { handle: member.handle, role: t(`teams.role.${role}`) })}</strong>
      </p>
      {last ? <p>{t('teams.lastCoordinator', { handle: member.handle })}</p> : <p>{t(`teams.roleMeans.${role}`, { handle: member.handle })}</p>}
      <ChainFailure error={change.error} onClose={() => change.setError(undefined)} />
      <div class="actions">
        {!last && (
          <button type="button" class="primary" disabled={change.busy} onClick={confirm}>
            {t('teams.roleConfirm', { handle: member.handle, role: t(`teams.role.${role}`) })}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {last ? t('actions.close') : t('actions.cancel')}
        </button>
      </div>
    </div>
  );
}
