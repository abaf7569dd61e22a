import type { Command } from 'commander';
import { isMediaOriginal, type Attachment, type Vault } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { resolveRecord, SHORT_ID } from '../record-ref.ts';
import { untilOption } from '../dates.ts';
import { compareSafetyNumber } from '../contact-check.ts';
import { UsageError } from '../errors.ts';
import { summaryLines } from '../redaction-text.ts';
import { resolveFile } from '../file-ref.ts';

/** The photo or video originals `refs` name, refused before any write if one is not. */
async function originalsToShare(c: Context, vault: Vault, recordId: string, refs: string[]): Promise<Attachment[]> {
  const record = await vault.getRecord(recordId);
  const files = refs.map((ref) => resolveFile(c, record, ref));
  const wrong = files.find((f) => !isMediaOriginal(f));
  if (wrong) throw new UsageError(c.t('share.notOriginal', { name: wrong.name }));
  return files.filter((f, i) => files.findIndex((g) => g.fileId === f.fileId) === i);
}

export function sharingCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('contact <handle>')
    .description(t('help.show-a-person-s-safety-number-and-once-c'))
    .option('--confirm <number>', t('help.the-safety-number-as-read-out-for-script'))
    .action(async (handle: string, opts: { confirm?: string }) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const verified = await compareSafetyNumber(c, vault, handle, opts.confirm);
        c.print(c.t(verified ? 'contact.verified' : 'contact.notVerified', { handle: handle.trim().toLowerCase() }));
      });
    });

  program
    .command('share <record> <handle>')
    .description(t('help.let-a-reviewer-read-a-testimony-and-its'))
    .option('--until <date>', t('help.access-ends-at-this-date-iso-8601'))
    .option('--unverified', t('help.share-although-the-safety-number-was-nev'))
    .option('--redact-photos', t('help.share-photos-as-redacted-copies'))
    .option('--original <file>', t('help.share-this-photo-s-original-too'), (v: string, list: string[]) => [...list, v], [] as string[])
    .action(async (ref: string, handle: string, opts: { until?: string; unverified?: boolean; redactPhotos?: boolean; original: string[] }) => {
      const c = ctx();
      const expiresAt = untilOption(c, opts.until);
      if (opts.original.length > 0 && !opts.redactPhotos) throw new UsageError(c.t('share.originalNeedsRedact'));
      await c.withVault(async (vault) => {
        if (handle.trim().toLowerCase() === vault.handle) throw new UsageError(c.t('share.self'));
        const recordId = await resolveRecord(c, vault, ref);
        if (!opts.unverified && !(await vault.lookupUser(handle)).verified) throw new UsageError(c.t('share.unverified', { handle }));
        // Every --original is checked before anything is written: the mark cannot be taken
        // back, so it is written only once the grant exists ([Note: originals shared on purpose]).
        const originals = opts.original.length ? await originalsToShare(c, vault, recordId, opts.original) : [];
        const g = await vault.share(recordId, handle, { ...(expiresAt ? { expiresAt } : {}), requireVerified: !opts.unverified, redactPhotos: opts.redactPhotos === true });
        for (const o of originals) await vault.shareOriginal(recordId, o.fileId);
        c.print(c.t('share.done', { handle: g.handle, id: recordId, until: g.expiresAt ? c.t('share.until', { date: c.dates.time(g.expiresAt) }) : '' }));
        if (g.access === 'redacted') {
          const shared = originals.map((o) => c.t('share.original', { name: o.name }));
          c.print([c.t('share.redacted', { handle: g.handle }), ...(g.redaction ? summaryLines(c, g.redaction) : []), ...shared].join('\n'));
        }
      });
    });

  program
    .command('revoke <record> <handle>')
    .description(t('help.end-a-reviewer-s-access-now-and-rotate-t'))
    .action(async (ref: string, handle: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const recordId = await resolveRecord(c, vault, ref);
        // Revoked before, and the key rotated since: once more would only rotate it again.
        const theirs = (await vault.grants(recordId)).filter((g) => g.handle === handle.trim().toLowerCase());
        const ended = theirs.length > 0 && theirs.every((g) => g.status !== 'live');
        if (ended && (await vault.getRecord(recordId)).keyVersion > Math.max(...theirs.map((g) => g.keyVersion))) {
          const last = theirs.map((g) => g.revokedAt ?? g.expiresAt!).sort((a, b) => b.getTime() - a.getTime())[0]!;
          return c.print(c.t('revoke.already', { handle, id: recordId, date: c.dates.time(last) }));
        }
        const r = await vault.revoke(recordId, handle);
        c.print(c.t('revoke.done', { handle, id: recordId, version: r.version }));
      });
    });

  program
    .command('grants <record>')
    .description(t('help.who-has-or-had-access-to-a-testimony'))
    .action(async (ref: string) => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const recordId = await resolveRecord(c, vault, ref);
        const grants = await vault.grants(recordId);
        if (c.options.json) return c.printJson(grants);
        if (grants.length === 0) return c.print(c.t('grants.none'));
        for (const g of grants) {
          c.print(`${g.handle}  ${c.t(`grant.status.${g.status}`)}  ${c.dates.time(g.grantedAt)} → ${g.expiresAt ? c.dates.time(g.expiresAt) : '∞'}${g.revokedAt ? `  (${c.dates.time(g.revokedAt)})` : ''}  ${g.verified ? '✓' : '?'}${g.access === 'redacted' ? `  [${c.t('grant.access.redacted')}]` : ''}`);
        }
        c.print(c.t('marks.legend'));
      });
    });

  program
    .command('inbox')
    .description(t('help.testimonies-shared-with-you'))
    .action(async () => {
      const c = ctx();
      await c.withVault(async (vault) => {
        const shared = await vault.sharedWithMe();
        const titled = [];
        for (const s of shared) titled.push({ ...s, title: await vault.getRecord(s.recordId).then((r) => r.fields.title, () => null) });
        for (const f of shared.failures) {
          c.warn(c.t('inbox.failed', { id: f.recordId.slice(0, SHORT_ID), handle: f.claimedOwner ?? '?', code: f.error.code }));
        }
        if (c.options.json) return c.printJson(titled);
        if (titled.length === 0 && shared.failures.length === 0) return c.print(c.t('inbox.none'));
        for (const s of titled) {
          c.print(`${s.recordId.slice(0, SHORT_ID)}  ${s.title ?? c.t('inbox.unreadable')}  ${s.owner.handle}${s.owner.verified ? ' ✓' : ' ?'}  ${c.dates.time(s.grantedAt)} → ${s.expiresAt ? c.dates.time(s.expiresAt) : '∞'}`);
        }
        c.print(c.t('marks.legend'));
      });
    });
}
