// [Note: one policy on every response]
// The web client is served by this server, so a page from it runs with whatever policy the
// answer carries. One fixed Content-Security-Policy goes on every response — API answers,
// static files, errors, 404s, even the answers made before a request is routed — so no
// response, whatever its type, can run inline script or load code from elsewhere. It is one
// string, sent verbatim, because `tvault verify-web` compares it byte for byte with its own
// copy (cli/src/web-verify.ts) and an organisation can check it with curl.
//
// 'wasm-unsafe-eval' lets the worker compile libsodium's WebAssembly; nothing allows eval()
// or inline script or style. blob: images and media are thumbnails and previews decrypted
// on the device. Workers come from this origin only.

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

// The camera on this origin only (scanning a QR code later); every other powerful feature off.
const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=()',
  'geolocation=()',
  'display-capture=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'hid=()',
  'midi=()',
  'accelerometer=()',
  'gyroscope=()',
  'magnetometer=()',
  'browsing-topics=()',
].join(', ');

/** The headers of [Note: one policy on every response]. Helmet adds the rest (plugins/security.ts). */
export const POLICY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'permissions-policy': PERMISSIONS_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // A browser keeps no answer on disk: API answers name the account, its records' ids and
  // versions, its sessions (reviewed from the attacker's side: they sat in Chromium's disk
  // cache after quick exit). The web client's own files set their caching in web-static.ts.
  'cache-control': 'no-store',
};
