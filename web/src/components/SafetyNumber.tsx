import { Fragment } from 'preact';
import { encode } from 'uqr';
import { t } from '../i18n/index.ts';

/** A safety number as 12 groups of 5 digits, easy to read out by phone, and as a QR code. */
export function SafetyNumber({ handle, number, qr = true }: { handle: string; number: string; qr?: boolean }) {
  const groups = number.replace(/[^0-9]/g, '').match(/.{1,5}/g) ?? [];
  return (
    <div class="safety">
      <p class="safety-number" aria-label={t('contacts.numberOf', { handle })}>
        {/* Spaces between the groups, not only margins: copied or read by a screen reader, they stay apart. */}
        {groups.map((g, i) => (
          <Fragment key={i}>
            {i > 0 && ' '}
            <span class="group">{g}</span>
          </Fragment>
        ))}
      </p>
      {qr && <QrCode text={`tvault:${handle}:${groups.join('')}`} label={t('contacts.qrOf', { handle })} />}
    </div>
  );
}

/** Drawn as SVG squares from the encoded matrix: no inline style, no markup from strings. */
function QrCode({ text, label }: { text: string; label: string }) {
  const { data, size } = encode(text, { ecc: 'M', border: 2 });
  const cells: preact.JSX.Element[] = [];
  data.forEach((row, y) => row.forEach((dark, x) => dark && cells.push(<rect key={`${x}.${y}`} x={x} y={y} width={1} height={1} />)));
  return (
    <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <g fill="#000">{cells}</g>
    </svg>
  );
}
