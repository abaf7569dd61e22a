import type { Lang } from './i18n/index.ts';
import type { Context } from './context.ts';
import { UsageError } from './errors.ts';

// [Note: dates where the user is]
// Dates are read and shown in the user's time zone (TZ, else the system's) and language;
// ISO 8601 in UTC only in --json and in files meant for another reader (the custody note,
// history exports). A day alone means a whole day where the user is: `--until 2027-06-30`
// ends at 23:59:59.999 local time on the 30th, not at midnight UTC the night before.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** An end date as typed: a day is its last instant here; a time with no zone is local. Undefined if not a date. */
export function parseUntil(text: string): Date | undefined {
  const day = DAY.exec(text.trim());
  let date: Date;
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    date = new Date(y, m - 1, d, 23, 59, 59, 999);
    if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) return undefined; // 2027-02-30
  } else if (LOCAL_TIME.test(text.trim())) {
    date = new Date(text.trim().replace(' ', 'T')); // no zone: ECMAScript reads it as local time
  } else {
    date = new Date(text);
  }
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** --until as typed, refused when it is not a date or has already passed (`share`, `case share`). */
export function untilOption(c: Context, until: string | undefined): Date | undefined {
  if (until === undefined) return undefined;
  const date = parseUntil(until);
  if (!date) throw new UsageError(c.t('error.notADate', { value: until }));
  if (date.getTime() <= Date.now()) throw new UsageError(c.t('share.pastDate', { date: c.dates.time(date) }));
  return date;
}

/** The user's locale: their LC_ALL/LANG region when it is of the chosen language, else Mexico or the US. */
export function locale(lang: Lang, env: NodeJS.ProcessEnv = process.env): string {
  const region = /^[a-z]{2}_([A-Z]{2})/.exec(env.LC_ALL || env.LANG || '');
  const fromEnv = (env.LC_ALL || env.LANG || '').slice(0, 2).toLowerCase() === lang && region ? `${lang}-${region[1]}` : undefined;
  return fromEnv ?? (lang === 'es' ? 'es-MX' : 'en-US');
}

export interface LocalDates {
  /** A day, e.g. "30 jun 2027". */
  day(d: Date): string;
  /** A day and time with the zone, e.g. "30 jun 2027, 11:59 p.m. GMT-6". */
  time(d: Date): string;
}

export function localDates(lang: Lang): LocalDates {
  const where = locale(lang);
  const day = new Intl.DateTimeFormat(where, { year: 'numeric', month: 'short', day: 'numeric' });
  const time = new Intl.DateTimeFormat(where, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  return { day: (d) => day.format(d), time: (d) => time.format(d) };
}
