import type { Vault } from '@testimony-vault/client/node';
import type { Context } from './context.ts';
import { askTerminal } from './prompt.ts';

/**
 * Shows a person's safety number and, when `confirm` carries the number as read out (or a
 * person at a terminal answers yes), marks the contact verified. True if verified now or
 * before. A changed key throws KeyChangedError from the lookup, before anything is asked.
 * Used by `tvault contact` and by every command that trusts a person's keys with a secret.
 */
export async function compareSafetyNumber(c: Context, vault: Vault, handle: string, confirm: string | undefined): Promise<boolean> {
  const info = await vault.lookupUser(handle);
  c.print(c.t('contact.safety', { handle: info.handle }));
  c.print(`  ${info.fingerprint}`);
  let number = confirm;
  if (number === undefined && process.stdin.isTTY && !info.verified) {
    const answer = String(await askTerminal(c.t('contact.confirm', { handle: info.handle }), false));
    if (/^(yes|y|sí|si|s)$/i.test(answer.trim())) number = info.fingerprint;
  }
  return number === undefined ? info.verified : (await vault.verifyContact(handle, number)).verified;
}
