// Not a screen: the English catalogue, loaded as the screens are (web/src/lazy-screens.ts,
// checked against the integrity the page holds) when the page is shown in English. The
// first page carries Spanish only, the default, and stays under its 150 KiB of JavaScript.
export { default as catalogue } from '../../i18n/en.json' with { type: 'json' };
