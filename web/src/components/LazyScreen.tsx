import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.ts';
import { loadedScreens, loadScreens } from '../lazy-screens.ts';
import { ErrorNotice } from './Notice.tsx';

/**
 * A screen from a folder loaded after the login (web/src/lazy-screens.ts): a line saying it
 * is loading, then the screen; if its code cannot be fetched, the message and a way to try again.
 */
export function LazyScreen<M>({ folder, render }: { folder: string; render: (screens: M) => VNode }) {
  const screens = loadedScreens<M>(folder);
  const [failed, setFailed] = useState<{ folder: string; error: unknown } | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [, setLoaded] = useState(0);
  useEffect(() => {
    if (screens) return;
    let shown = true;
    loadScreens<M>(folder).then(
      () => {
        if (!shown) return;
        setLoaded((n) => n + 1);
        // store.go focused a heading that was not there yet: the screen's own, now.
        queueMicrotask(() => document.querySelector<HTMLElement>('main h1')?.focus());
      },
      (error: unknown) => shown && setFailed({ folder, error }),
    );
    return () => {
      shown = false;
    };
  }, [folder, attempt]);
  if (screens) return render(screens);
  const error = failed?.folder === folder ? failed.error : undefined;
  return (
    <main>
      {error === undefined ? (
        <p class="hint" role="status">
          {t('app.loading')}
        </p>
      ) : (
        <ErrorNotice
          error={error}
          onRetry={() => {
            setFailed(null);
            setAttempt(attempt + 1);
          }}
        />
      )}
    </main>
  );
}
