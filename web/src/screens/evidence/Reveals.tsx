import { formatDate, language, t } from '../../i18n/index.ts';
import type { PhotoReveals } from '../../worker/types.ts';

/**
 * What whoever receives this photo learns from its metadata: where it was taken, with what
 * device, when. The original is kept untouched (its SHA-256 is the custody anchor), so it is
 * shared as it is: the person must know before sharing it.
 */
export function Reveals({ reveals }: { reveals: PhotoReveals }) {
  const items: string[] = [];
  const n = (x: number) => new Intl.NumberFormat(language.value, { maximumFractionDigits: 5 }).format(x);
  if (reveals.gps) items.push(t('reveals.gps', { lat: n(reveals.gps.latitude), lon: n(reveals.gps.longitude) }));
  if (reveals.device) items.push(t('reveals.device', { device: reveals.device }));
  if (reveals.takenAt) items.push(t('reveals.taken', { date: formatDate(reveals.takenAt) }));
  if (items.length === 0) return null;
  return (
    <div class={reveals.gps ? 'notice warn' : 'notice info'} role="note">
      <p>
        <strong>{t('reveals.title')}</strong>
      </p>
      <ul>
        {items.map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
      <p>{t('reveals.advice')}</p>
    </div>
  );
}
