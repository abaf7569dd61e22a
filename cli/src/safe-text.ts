// [Note: text from other parties on a terminal]
// Titles, narratives, places, tags, file names, handles, session labels and server error
// messages come from someone else (a fellow user who shared a record, or the server). A
// terminal obeys the bytes it is given: ESC [ 2 K erases a line, OSC 52 writes the
// clipboard, OSC 8 hides a link behind text, CR overwrites a hash, U+202E reverses what
// follows. So everything tvault writes goes through this module at the output boundary
// (Context.print, printJson, warn and the error printer), and no command can forget it:
//
// - C0 controls except line feed and tab, DEL and C1 controls are shown as `\xNN`;
// - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks
//   (U+200E, U+200F, U+061C) and the line and paragraph separators are shown as `\u{NNNN}`;
// - for JSON the same characters become JSON escapes, so the value parses to the same
//   string and the terminal still receives nothing it would act on.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const BIDI = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** Text made harmless for a terminal: line feeds and tabs stay, every other control is shown. */
export function safeText(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${hex(c, 2)}`).replace(BIDI, (c) => `\\u{${hex(c, 4)}}`);
}

/** JSON for a terminal: the same value once parsed, with no byte a terminal acts on. */
export function safeJson(value: unknown): string {
  // JSON.stringify already escapes U+0000–U+001F; DEL, C1 and bidi controls it leaves raw.
  return (JSON.stringify(value, null, 2) ?? 'null').replace(JSON_UNSAFE, (c) => `\\u${hex(c, 4)}`);
}
