import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ApiError, IntegrityError, NetworkError, ServerError, type Vault, type VaultRecord } from '@testimony-vault/client/node';
import type { Context } from '../context.ts';
import type { Translate } from '../i18n/index.ts';
import { resolveRecord } from '../record-ref.ts';
import { describe } from './records.ts';
import { safeText } from '../safe-text.ts';
import { redactionLines } from '../redaction-text.ts';
import { EXIT, UsageError } from '../errors.ts';

// Uploads in progress, so that running `tvault attach` again resumes instead of starting
// over: a hash of (record id, path, size, modification time) → the file id chosen for the
// upload and when it started. Kept in the encrypted state ([Note: local state at rest]), so
// a seized laptop does not show which evidence files were being attached. An entry goes
// when its file is attached, when the attempt fails for any reason but a lost connection
// (nothing left to resume), and a day after it started (the server's default
// UPLOAD_TTL_SECONDS: the server has dropped the upload by then).
type Pending = Record<string, { fileId: string; at: number }>;

const PENDING = 'tvault:uploads';
const ABANDONED_MS = 24 * 3600 * 1000;

async function pending(ctx: Context): Promise<Pending> {
  const all = JSON.parse((await ctx.state?.get(PENDING)) ?? '{}') as Pending;
  const now = Date.now();
  return Object.fromEntries(Object.entries(all).filter(([, p]) => now - p.at < ABANDONED_MS));
}

async function savePending(ctx: Context, p: Pending): Promise<void> {
  await ctx.state?.set(PENDING, JSON.stringify(p));
}

function uploadKey(recordId: string, file: string, size: number, mtimeMs: number): string {
  return createHash('sha256').update(`${recordId}|${path.resolve(file)}|${size}|${mtimeMs}`).digest('base64url');
}

/** A failure after which running attach again can continue: the connection, or the server, went away. */
function resumable(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof ServerError;
}

const MEDIA: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.heic': 'image/heic', '.heif': 'image/heif', '.avif': 'image/avif',
  '.webp': 'image/webp', '.gif': 'image/gif', '.tif': 'image/tiff', '.tiff': 'image/tiff', '.dng': 'image/x-adobe-dng',
  '.mp4': 'video/mp4', '.mov': 'video/quicktime', '.3gp': 'video/3gpp', '.webm': 'video/webm',
  '.m4a': 'audio/mp4', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg', '.pdf': 'application/pdf', '.txt': 'text/plain',
};

/** Every file can be read: checked before the passphrase is asked, so nothing is half done for a typo. */
export async function checkFiles(ctx: Context, files: string[]): Promise<void> {
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new UsageError(ctx.t(info ? 'file.notAFile' : 'file.missing', { file }));
  }
}

export type Attached = { name: string; size: number; sha256: string };

/** Attaches files one by one, each with a progress bar (bytes, rate, time left); resumes an interrupted one. */
export async function attachAll(ctx: Context, vault: Vault, recordId: string, files: string[]): Promise<Attached[]> {
  // Ctrl-C mid-upload: what the server committed stays for a day, and running attach again resumes it.
  const interrupted = () => {
    ctx.warn(`\n${ctx.t('file.interrupted', { command: `tvault attach ${recordId} ${files.map((f) => (/^[\w./-]+$/.test(f) ? f : `'${f}'`)).join(' ')}` })}`);
    process.exit(EXIT.canceled);
  };
  process.once('SIGINT', interrupted);
  try {
    return await attachEach(ctx, vault, recordId, files);
  } finally {
    process.off('SIGINT', interrupted);
  }
}

async function attachEach(ctx: Context, vault: Vault, recordId: string, files: string[]): Promise<Attached[]> {
  const done: Attached[] = [];
  for (const file of files) {
    // One bar per file, stopped before the file's line is printed: a bar still running
    // would redraw over that line, and with it the SHA-256 a coordinator must note.
    const bar = new cliProgress.SingleBar(
      { format: ctx.t('file.progress'), stream: process.stderr, hideCursor: true, noTTYOutput: false, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let result;
    try {
      const info = await stat(file);
      const name = path.basename(file);
      const shown = safeText(name); // the progress bar writes to the terminal itself
      const key = uploadKey(recordId, file, info.size, info.mtimeMs);
      const uploads = await pending(ctx);
      bar.start(info.size, 0, { name: shown, rate: '', eta: '' });
      const started = Date.now();
      const options = {
        name,
        type: MEDIA[path.extname(name).toLowerCase()] ?? 'application/octet-stream',
        onProgress: (p: { bytes: number }) => {
          const seconds = (Date.now() - started) / 1000;
          const rate = seconds > 0 ? p.bytes / seconds : 0;
          bar.update(p.bytes, { name: shown, rate: `${(rate / 1e6).toFixed(1)} MB/s`, eta: rate > 0 ? Math.round((info.size - p.bytes) / rate) : '?' });
        },
      };
      const resumeId = uploads[key]?.fileId;
      try {
        try {
          result = resumeId
            ? await vault.resumeUpload(recordId, resumeId, file, options)
            : await attachFresh(ctx, vault, recordId, file, options, key, uploads);
        } catch (err) {
          // The server no longer has the upload (it expired): start over.
          if (!(resumeId && err instanceof ApiError && err.status === 404)) throw err;
          result = await attachFresh(ctx, vault, recordId, file, options, key, uploads);
        }
      } catch (err) {
        if (!resumable(err)) {
          delete uploads[key];
          await savePending(ctx, uploads);
        }
        throw err;
      }
      delete uploads[key];
      await savePending(ctx, uploads);
      bar.update(info.size);
    } finally {
      bar.stop();
    }
    done.push({ name: path.basename(file), size: result.size, sha256: result.sha256 });
    if (!ctx.options.json) ctx.print(ctx.t('file.attached', done.at(-1)!));
  }
  return done;
}

async function attachFresh(
  ctx: Context, vault: Vault, recordId: string, file: string, options: { name: string; type: string; onProgress: (p: { bytes: number }) => void },
  key: string, uploads: Pending,
) {
  const fileId = randomUUID();
  uploads[key] = { fileId, at: Date.now() };
  await savePending(ctx, uploads);
  return vault.attachFile(recordId, file, { ...options, fileId });
}

/** A file name safe to write inside the export folder: no folders, no dot files, no control characters. */
function safeName(name: string, taken: Set<string>): string {
  let base = path.basename(name).replace(/[\u0000-\u001f\u007f/\\:]/g, '_').replace(/^\.+/, '_') || 'file';
  const ext = path.extname(base);
  for (let i = 2; taken.has(base.toLowerCase()); i++) base = `${path.basename(base, ext)} (${i})${ext}`;
  taken.add(base.toLowerCase());
  return base;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function custodyNote(ctx: Context, r: VaultRecord, versions: VaultRecord[], exportedBy: string, files: { name: string; sha256: string; uploadedAt: string }[]): string {
  const t = ctx.t;
  return [
    `# ${t('export.custody')}: ${r.fields.title}`,
    '',
    t('custody.record', { id: r.id, owner: r.owner }),
    t('custody.exported', { who: exportedBy, when: new Date().toISOString() }),
    t('custody.versions', { list: versions.map((v) => `v${v.version} ${v.writtenAt.toISOString()} (${v.author.handle}, ${v.author.fingerprint})`).join('; ') }),
    '',
    ...files.map((f) => t('custody.file', { name: f.name, sha256: f.sha256, uploadedAt: f.uploadedAt })),
    ...redactionLines(ctx, r),
    '',
    t('custody.method'),
    '',
  ].join('\n');
}

export function fileCommands(program: Command, ctx: () => Context, t: Translate): void {
  program
    .command('attach <record> <files...>')
    .description(t('help.attach-evidence-files-with-progress-run'))
    .action(async (ref: string, files: string[]) => {
      const c = ctx();
      await checkFiles(c, files);
      await c.withVault(async (vault) => {
        const recordId = await resolveRecord(c, vault, ref);
        const attached = await attachAll(c, vault, recordId, files);
        if (c.options.json) c.printJson(attached);
      });
    });

  program
    .command('export <record> <dir>')
    .description(t('help.the-decrypted-testimony-as-json-and-mark'))
    .action(async (ref: string, dir: string) => {
      const c = ctx();
      // Never over an earlier export: its files and custody note must stay as they were.
      const existing = await readdir(dir).catch(() => []);
      if (existing.length > 0) throw new UsageError(c.t('export.exists', { dir }));
      await c.withVault(async (vault) => {
        const recordId = await resolveRecord(c, vault, ref);
        const record = await vault.getRecord(recordId);
        const versions = await vault.recordVersions(recordId);
        await mkdir(path.join(dir, 'files'), { recursive: true, mode: 0o700 });
        const taken = new Set<string>();
        const manifest: string[] = [];
        const files = [];
        for (const a of record.attachments) {
          const name = safeName(a.name, taken);
          const target = path.join(dir, 'files', name);
          await vault.downloadFile(recordId, a.fileId, target);
          const sha = await sha256Of(target);
          if (sha !== a.sha256) throw new IntegrityError(`${name}: SHA-256 after export differs from intake`);
          manifest.push(`${sha}  files/${name}`);
          files.push({ name, sha256: a.sha256, uploadedAt: a.uploadedAt });
        }
        const { attachments, ...rest } = record;
        const json = { ...rest, attachments: attachments.map(({ key: _k, header: _h, ...visible }) => visible), versions: versions.map((v) => ({ version: v.version, writtenAt: v.writtenAt, author: v.author, fields: v.fields })) };
        await writeFile(path.join(dir, 'record.json'), `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
        await writeFile(path.join(dir, 'record.md'), `${describe(c, record)}\n`, { mode: 0o600 });
        await writeFile(path.join(dir, 'CUSTODY.md'), custodyNote(c, record, versions, vault.handle, files), { mode: 0o600 });
        await writeFile(path.join(dir, 'MANIFEST.sha256'), manifest.length ? `${manifest.join('\n')}\n` : '', { mode: 0o600 });
        // The verified history, as in the web client's bundle ([Note: evidence bundle]); it is
        // signed, so verify-export checks it by its proofs, not by the manifest.
        await writeFile(path.join(dir, 'HISTORY.json'), `${JSON.stringify(await vault.exportHistory(recordId), null, 2)}\n`, { mode: 0o600 });
        c.print(c.t('export.done', { dir, files: files.length }));
      });
    });
}
