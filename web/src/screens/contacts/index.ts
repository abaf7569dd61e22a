// One chunk (with the QR code reader and writer), loaded by web/src/lazy-screens.ts when first shown.
export { Contacts } from './Contacts.tsx';
