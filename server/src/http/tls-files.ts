import { X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Http2SecureServer } from 'node:http2';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

// The certificate and key of [Note: HTTP/2 served directly]: read, checked, and read again.

export class TlsFilesError extends Error {
  override name = 'TlsFilesError';
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Far more than any certificate chain or key; a larger file is not one. */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

/** The TLS context's options, the same at start-up and on every reload (a reload replaces the whole context). */
export function tlsContext(files: TlsFiles): SecureContextOptions {
  return { cert: files.cert, key: files.key };
}

/**
 * A regular file of at most MAX_TLS_FILE_BYTES, not a pipe or a device, which could block a
 * read for ever. Opened non-blocking: opening a named pipe would otherwise wait for a writer.
 */
async function readSmallFile(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path} is not a regular file`);
    if (info.size > MAX_TLS_FILE_BYTES) throw new Error(`${path} is larger than ${MAX_TLS_FILE_BYTES / 1024 / 1024} MiB`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The certificate and key the configuration names, checked to make a TLS context; undefined for plain HTTP. */
export async function readTls(config: Config): Promise<TlsFiles | undefined> {
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) return undefined;
  let files;
  try {
    files = { cert: await readSmallFile(config.TLS_CERT_FILE), key: await readSmallFile(config.TLS_KEY_FILE) };
  } catch (err) {
    throw new TlsFilesError(`cannot read TLS_CERT_FILE or TLS_KEY_FILE: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    createSecureContext(tlsContext(files));
  } catch (err) {
    // OpenSSL's reason (no PEM, a key that does not match the certificate), never the files' contents.
    throw new TlsFilesError(`TLS_CERT_FILE and TLS_KEY_FILE do not make a certificate and its key: ${(err as Error).message}`);
  }
  return files;
}

/** What the log says of a certificate: public facts, to tell a renewed one from the old. */
export function certificateFacts(cert: Buffer): { subject: string; fingerprint256: string; validTo: string } {
  const x = new X509Certificate(cert);
  return { subject: x.subject, fingerprint256: x.fingerprint256, validTo: x.validTo };
}

// [Note: certificates renewed without a restart]
// A certificate from an ACME authority lasts 90 days or less and is renewed in place, so on
// SIGHUP (server.ts, only with TLS_CERT_FILE set) the files are read and checked again, as at
// start-up, and the running server takes them for every connection made from then on;
// connections already open keep the certificate they were made with. Files that cannot be
// read, or a key that is not the certificate's (a renewal caught half-written), are logged at
// error by OpenSSL's reason and the server keeps what it has: a reload never takes it down.
// Each reload logs the certificate it now serves (subject, SHA-256, expiry), and warns when
// that is the one it already served: a container given the old file (a bind mount pins the
// file it was made with, and certbot's live/ names are symbolic links) would otherwise say
// "renewed" until the certificate expires. Reloads run one at a time; a SIGHUP during one
// makes another run after it, so the last files read are the last ones written.

/** Reloads the certificate and key into a running server on request, one reload at a time. */
export class TlsReloader {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly config: Config,
    private serving: string,
  ) {}

  /** Asks for a reload; resolves when the reloads asked for so far are done. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  private async reloadOnce(): Promise<void> {
    const log = this.app.log;
    let files;
    try {
      files = await readTls(this.config);
    } catch (err) {
      log.error({ reason: err instanceof TlsFilesError ? err.message : 'unexpected error' }, 'TLS certificate and key not read again: the server keeps the ones it had');
      return;
    }
    if (!files) return;
    (this.app.server as unknown as Http2SecureServer).setSecureContext(tlsContext(files));
    const facts = certificateFacts(files.cert);
    if (facts.fingerprint256 === this.serving) {
      log.warn({ certificate: facts }, 'TLS certificate and key read again, but the certificate is the one already served: is the renewed file where TLS_CERT_FILE points, inside the container too?');
    } else {
      log.info({ certificate: facts }, 'TLS certificate and key read again: new connections get them');
    }
    this.serving = facts.fingerprint256;
  }
}
