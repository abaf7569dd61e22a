import { en, type MessageKey } from './en.ts';
import { es } from './es.ts';

export type Lang = 'en' | 'es';
const catalogues: Record<Lang, Record<MessageKey, string>> = { en, es };

/** --lang, else LC_ALL, else LANG: Spanish for es_*, English otherwise. */
export function pickLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  const source = flag || env.LC_ALL || env.LANG || '';
  return source.toLowerCase().startsWith('es') ? 'es' : 'en';
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  return (key, params = {}) => catalogues[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export type { MessageKey };
