import { ErrorNotice } from '../../components/Notice.tsx';
import { isKeyChanged, KeyChangedWarning } from '../../components/KeyChanged.tsx';

/**
 * What a team screen shows instead of its content when loading failed: a chain or record that
 * fails verification is the tampering warning, a member's changed key the full-screen warning.
 */
export function ChainFailure({ error, onClose, onRetry }: { error: unknown; onClose: () => void; onRetry?: () => void }) {
  if (error === undefined) return null;
  if (isKeyChanged(error)) return <KeyChangedWarning error={error} onClose={onClose} />;
  return <ErrorNotice error={error} {...(onRetry ? { onRetry } : {})} />;
}
