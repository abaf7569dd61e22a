import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type DetectorClass = new (options: { formats: string[] }) => Detector;

const detectorClass = (): DetectorClass | undefined => (globalThis as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

/** The digits of a safety number in a QR code this client made for `handle` (see SafetyNumber). */
export function numberFromQr(value: string, handle: string): string | null {
  const m = /^tvault:([a-z0-9][a-z0-9._-]{2,31}):(\d{60})$/.exec(value);
  return m && m[1] === handle ? m[2]! : null;
}

/**
 * Reads the other person's QR code with the device camera, where the browser can (the
 * BarcodeDetector API); elsewhere it says to type the number. The camera's picture never
 * leaves this page; the stream is stopped as soon as a code is read or the scan is closed.
 */
export function QrScan({ handle, onNumber }: { handle: string; onNumber: (digits: string) => void }) {
  const [scanning, setScanning] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const Detector = detectorClass();

  useEffect(() => {
    if (!scanning || !Detector) return;
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        if (stopped || !video.current) return stop();
        video.current.srcObject = stream;
        await video.current.play();
        const detector = new Detector({ formats: ['qr_code'] });
        const look = async () => {
          if (stopped || !video.current) return;
          for (const code of await detector.detect(video.current).catch(() => [])) {
            const digits = numberFromQr(code.rawValue, handle);
            if (digits) {
              stop();
              setScanning(false);
              return onNumber(digits);
            }
            setProblem(t('contacts.scanOther'));
          }
          timer = setTimeout(() => void look(), 250);
        };
        void look();
      } catch {
        setProblem(t('contacts.scanNoCamera'));
        setScanning(false);
      }
    })();
    return stop;
  }, [scanning]);

  if (!Detector) return <p class="hint">{t('contacts.scanUnsupported')}</p>;
  return (
    <div class="scan">
      {scanning ? (
        <>
          <video ref={video} class="scan-video" muted playsInline aria-label={t('contacts.scanVideo')} />
          <button type="button" onClick={() => setScanning(false)}>
            {t('actions.cancel')}
          </button>
        </>
      ) : (
        <button type="button" onClick={() => (setProblem(null), setScanning(true))}>
          {t('contacts.scan', { handle })}
        </button>
      )}
      {problem && (
        <p class="notice warn" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
