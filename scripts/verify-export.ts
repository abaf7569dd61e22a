// npm run verify-export FILE [-- --key VERIFIERKEY]
// Checks an audit-log export (Vault.exportHistory) with no network: the checkpoint's
// signature, every event's inclusion proof, the record id of each event, and the record's
// chain when the export says it is complete. Prints the events and VERIFIED, or one line
// saying what failed, with exit code 1. --key: the log's verifier key obtained
// independently (from the server's operator, say); the export must be signed with it.
// FILE may also be a folder written by `tvault export` (or an unzipped evidence bundle):
// then its files are checked against MANIFEST.sha256 and its HISTORY.json, which must be
// about the record in record.json, is the export checked (cli/src/bundle-check.ts).
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { cryptoReady, verifyExport, exportTreeSize, type AuditExport } from '../client-lib/src/audit/export.ts';
import type { AuditHistoryEvent } from '../client-lib/src/audit/events.ts';
import { CheckFailed, checkBundle } from '../cli/src/bundle-check.ts';
import { translator } from '../cli/src/i18n/index.ts';

function table(events: AuditHistoryEvent[]): string {
  const head = ['#', 'time (UTC)', 'actor', 'action', 'outcome', 'file', 'subject'];
  const rows = events.map((e) => [
    String(e.index),
    e.at.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'),
    e.actor ?? '-',
    e.action,
    e.outcome,
    e.fileId ?? '-',
    e.subject ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { key: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    console.error(`usage: npm run verify-export FILE [-- --key VERIFIERKEY]: ${(err as Error).message}`);
    return 2;
  }
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) {
    console.error('usage: npm run verify-export FILE [-- --key VERIFIERKEY]');
    return 2;
  }
  let doc: unknown;
  let events: AuditHistoryEvent[];
  try {
    await cryptoReady();
    if ((await stat(file).catch(() => null))?.isDirectory()) {
      const checked = await checkBundle(file, args.values.key);
      console.log(`files         ${checked.files}, each with the SHA-256 listed in MANIFEST.sha256`);
      if (!checked.history) {
        console.log('history       none (HISTORY.json absent: an export made before it was written)');
        console.log('');
        console.log('VERIFIED (files only)');
        return 0;
      }
      ({ doc, events } = checked.history);
    } else {
      try {
        doc = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        console.error(`NOT VERIFIED: cannot read ${file} as JSON: ${(err as Error).message}`);
        return 1;
      }
      events = verifyExport(doc, { verifierKey: args.values.key });
    }
  } catch (err) {
    // The folder's checks name what failed in tvault's words (English here).
    console.error(err instanceof CheckFailed ? translator('en')(err.key, err.values) : `NOT VERIFIED: ${(err as Error).message}`);
    return 1;
  }
  const d = doc as AuditExport;
  console.log(`record        ${d.recordId}`);
  console.log(`log           ${d.origin}, ${exportTreeSize(d)} events in the signed checkpoint`);
  console.log(`log key       ${d.verifierKey}${args.values.key ? ' (the key given with --key)' : ' (as written in the file: check it with --key)'}`);
  console.log(
    `events        ${events.length}, ${
      d.chainComplete ? 'chain checked: none missing between the first and the last' : 'chain not checked: an extract (a reviewer sees only their own events)'
    }`,
  );
  const known = d.complete?.newestKnownIndex;
  console.log(
    `complete      ${
      d.complete
        ? `up to the log of ${d.complete.treeSize} events; holds ${known === null ? 'no event its maker knew of' : `event ${known}, the newest its maker knew of`} (PROTOCOL.md "Exports")`
        : 'not stated (an export made before the field)'
    }`,
  );
  console.log(`exported at   ${d.exportedAt} (not signed)`);
  console.log('');
  console.log(events.length ? table(events) : '(no events)');
  console.log('');
  console.log('VERIFIED');
  return 0;
}

process.exitCode = await main();
