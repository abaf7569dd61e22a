// [Note: invite codes people can pass on]
// An invite code is read out over the phone or copied from paper by someone who may never
// have typed one: 16 characters of Crockford's base32 (digits and capital letters without
// I, L, O and U, so nothing reads as something else), in four groups of four. 80 random
// bits: a code is single-use, expires, and every guess goes through the rate-limited
// registration. Typed in any case, with anything between its characters (spaces, dashes,
// dots), O for 0 and I or L for 1, it is
// the same code: both sides hash and send its canonical form. A code of the earlier shape
// (22 characters of base64url) is left exactly as typed, so invites made before still work.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const INVITE_CODE_BYTES = 10;
const LENGTH = 16;

/** The code for INVITE_CODE_BYTES random bytes: "K7QM-2XHD-9RTA-W4PF". */
export function inviteCodeFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== INVITE_CODE_BYTES) throw new Error(`an invite code is made from ${INVITE_CODE_BYTES} bytes`);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return group(out);
}

const group = (code: string) => code.match(/.{4}/g)!.join('-');

/** The code as typed, in its canonical form; a code of the earlier shape, or anything else, unchanged but trimmed. */
export function canonicalInviteCode(typed: string): string {
  // A code of the earlier shape first: some of them (six dashes or underscores, no U) would
  // otherwise squeeze into 16 characters of the alphabet and be read as a new code.
  if (/^[A-Za-z0-9_-]{22}$/.test(typed.trim())) return typed.trim();
  // Anything between the characters goes: spaces, dashes of any kind, dots.
  const squeezed = typed.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return squeezed.length === LENGTH && [...squeezed].every((c) => ALPHABET.includes(c)) ? group(squeezed) : typed.trim();
}
