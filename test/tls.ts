// A key and a self-signed certificate for 127.0.0.1, made for one test or benchmark run by
// OpenSSL's command line (Node makes keys but not certificates), with what each client needs
// to trust it and nothing else: Node (tvault) the certificate itself (NODE_EXTRA_CA_CERTS),
// Chromium the SHA-256 of its public key (--ignore-certificate-errors-spki-list).
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** Chromium's switch that trusts this certificate's key, and no other. */
  chromiumFlag: string;
  remove(): Promise<void>;
}

export async function testCertificate(): Promise<TestCertificate> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tv-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  // prettier-ignore
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return {
    certFile,
    keyFile,
    cert,
    key,
    chromiumFlag: `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
