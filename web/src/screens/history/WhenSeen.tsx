import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls `onSeen` when this empty marker scrolls into view (the end of a list that loads
 * more as the person scrolls). Where IntersectionObserver is missing, nothing happens and
 * the list's own button remains.
 */
export function WhenSeen({ onSeen }: { onSeen: () => void }) {
  const marker = useRef<HTMLDivElement>(null);
  const latest = useRef(onSeen);
  latest.current = onSeen;
  useEffect(() => {
    const el = marker.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) latest.current();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return <div ref={marker} aria-hidden="true" />;
}
