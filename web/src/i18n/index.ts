// i18next with the Spanish catalogue bundled (no request for it) and the English one
// loaded when first shown, checked like a screen (screens/english); Spanish unless the
// browser asks for English first (navigator.languages follows the browser's Accept-Language).
import i18next from 'i18next';
import { signal } from '@preact/signals';
import es from './es.json' with { type: 'json' };
import { loadScreens } from '../lazy-screens.ts';

const english = async () => (await loadScreens<{ catalogue: Record<string, unknown> }>('english')).catalogue;

export const LANGUAGES = ['es', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export function preferredLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'es' || base === 'en') return base;
  }
  return 'es';
}

/** The language shown; components read it so that a switch re-renders them. */
export const language = signal<Language>(preferredLanguage(navigator.languages));

// English that cannot be loaded (the server away, or refused by its integrity) leaves the page in Spanish.
const firstEnglish = language.value === 'en' ? await english().catch(() => ((language.value = 'es'), undefined)) : undefined;

await i18next.init({
  lng: language.value,
  fallbackLng: 'es',
  resources: { es: { translation: es }, ...(firstEnglish ? { en: { translation: firstEnglish } } : {}) },
  interpolation: { escapeValue: false }, // Preact escapes text itself
  returnNull: false,
});
document.documentElement.lang = language.value;

export async function setLanguage(lang: Language): Promise<void> {
  if (!i18next.hasResourceBundle(lang, 'translation')) i18next.addResourceBundle(lang, 'translation', await english());
  await i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
  language.value = lang;
}

/** Catalogue text; reading `language` ties the calling component to language changes. */
export function t(key: string, options?: Record<string, unknown>): string {
  void language.value;
  return options ? i18next.t(key, options) : i18next.t(key);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(language.value, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(n)} ${units[i]}`;
}

export function formatDate(iso: string, withTime = true): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Intl.DateTimeFormat(language.value, withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }).format(d);
}
