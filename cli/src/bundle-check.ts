// Checks, offline, what `tvault export` writes (and an unzipped evidence bundle of the web
// client, which has the same layout: [Note: evidence bundle] in web/src/worker/bundle.ts):
// every file against MANIFEST.sha256, and HISTORY.json by its signed checkpoint and proofs,
// which must be about the record in record.json.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyExport, type AuditExport, type AuditHistoryEvent } from '@testimony-vault/client/node';
import type { MessageKey } from './i18n/en.ts';

/** Why a check failed: a catalogue key and its values, so the line is in the user's language. */
export class CheckFailed extends Error {
  constructor(
    readonly key: MessageKey,
    readonly values: Record<string, string | number>,
  ) {
    super(key);
  }
}

export interface BundleCheck {
  recordId: string;
  files: number;
  /** The verified history, or null when the export has none (an older tvault). */
  history: { doc: AuditExport; events: AuditHistoryEvent[] } | null;
}

async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

async function readJson(dir: string, name: string): Promise<unknown> {
  const text = await readFile(path.join(dir, name), 'utf8').catch(() => {
    throw new CheckFailed('verify.notExport', { dir, file: name });
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheckFailed('verify.notJson', { file: name, detail: (err as Error).message });
  }
}

/** A history export checked offline; any failure is CheckFailed naming `file`. */
export function checkHistory(doc: unknown, file: string, verifierKey: string | undefined): AuditHistoryEvent[] {
  try {
    return verifyExport(doc, verifierKey ? { verifierKey } : {});
  } catch (err) {
    throw new CheckFailed('verify.historyFailed', { file, detail: (err as Error).message });
  }
}

async function checkManifest(dir: string): Promise<number> {
  const text = await readFile(path.join(dir, 'MANIFEST.sha256'), 'utf8').catch(() => {
    throw new CheckFailed('verify.notExport', { dir, file: 'MANIFEST.sha256' });
  });
  const listed = new Set<string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}files\/([^/]+)$/.exec(line);
    if (!m) throw new CheckFailed('verify.manifestLine', { line });
    listed.add(m[2]!);
    if ((await sha256Of(path.join(dir, 'files', m[2]!))) !== m[1]) throw new CheckFailed('verify.fileChanged', { name: `files/${m[2]!}` });
  }
  const present = await readdir(path.join(dir, 'files')).catch(() => [] as string[]);
  for (const name of present) if (!listed.has(name)) throw new CheckFailed('verify.fileChanged', { name: `files/${name}` });
  return listed.size;
}

/** Checks an export folder; throws CheckFailed at the first thing that does not hold. */
export async function checkBundle(dir: string, verifierKey: string | undefined): Promise<BundleCheck> {
  const files = await checkManifest(dir);
  const record = await readJson(dir, 'record.json');
  const recordId = (record as { id?: unknown } | null)?.id;
  if (typeof recordId !== 'string') throw new CheckFailed('verify.notExport', { dir, file: 'record.json' });
  const hasHistory = (await readdir(dir)).includes('HISTORY.json');
  if (!hasHistory) return { recordId, files, history: null };
  const doc = await readJson(dir, 'HISTORY.json');
  const events = checkHistory(doc, 'HISTORY.json', verifierKey);
  const about = (doc as AuditExport).recordId;
  if (about !== recordId) throw new CheckFailed('verify.otherRecord', { history: about, record: recordId });
  return { recordId, files, history: { doc: doc as AuditExport, events } };
}
