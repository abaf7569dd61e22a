import { checkPassphrase, PASSPHRASE_FLOOR, type StrengthFloor, type StrengthReason } from '@testimony-vault/client/node';
import type { Context } from './context.ts';
import type { Translate } from './i18n/index.ts';
import { UsageError } from './errors.ts';

/**
 * The floor from TVAULT_PASSPHRASE_FLOOR ("LENGTH,GUESSES_LOG10", e.g. "14,13"), else the
 * library's default ([Note: passphrase floor] in client-lib/src/account/strength.ts).
 */
export function passphraseFloor(t: Translate, env: NodeJS.ProcessEnv = process.env): StrengthFloor {
  const value = env.TVAULT_PASSPHRASE_FLOOR?.trim();
  if (!value) return PASSPHRASE_FLOOR;
  const match = /^(\d+)\s*,\s*(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) throw new UsageError(t('strength.badFloor', { value }));
  return { minLength: Number(match[1]), minGuessesLog10: Number(match[2]) };
}

/** Why a passphrase was refused, in the user's language, with what to do instead. */
export function refusal(t: Translate, reasons: StrengthReason[], floor: StrengthFloor): string {
  const why = reasons.map((r) => t(`strength.${r}`, { min: floor.minLength }));
  return [t('strength.refused'), ...why, t('strength.advice')].join(' ');
}

/**
 * A new passphrase, checked against the floor before anything is derived from it. From a
 * terminal, a weak one is explained and asked for again; from --passphrase-fd, where no
 * one can answer, it is a usage error (exit code 2).
 */
export async function askNewPassphrase(c: Context, handle: string, server: string): Promise<string> {
  const floor = passphraseFloor(c.t);
  const userInputs = [handle, URL.canParse(server) ? new URL(server).hostname : server];
  const interactive = c.options.passphraseFd === undefined;
  for (;;) {
    const passphrase = await c.passphrase('passphrase.new');
    const strength = await checkPassphrase(passphrase, { userInputs, floor });
    if (!strength.ok) {
      const text = refusal(c.t, strength.reasons, floor);
      if (!interactive) throw new UsageError(text);
      c.warn(text);
      continue;
    }
    if (interactive && (await c.passphrase('passphrase.again')) !== passphrase) throw new UsageError(c.t('passphrase.mismatch'));
    return passphrase;
  }
}
