import { useState } from 'preact/hooks';

/**
 * Runs one action at a time for a form: `busy` while it runs, `error` when it failed.
 * The form's own state is left as it was, so nothing typed is lost on a failure.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  async function run<T>(action: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, run };
}
