// Development TLS for the embedded OpenID provider: msal-node refuses an http authority, so the
// provider speaks https with a certificate from a local CA generated on first run. Devices (and
// the broker, for the JWKS) trust that CA explicitly; nothing trusts it system-wide.
//
// Everything is generated with Node's WebCrypto through @peculiar/x509: no openssl binary.
import { webcrypto as nodeWebcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { secretsDir } from '../../config/server-secrets.js';
import { readOrCreateSecretFile, writeFileAtomic } from '../../config/secret-files.js';

// @peculiar/x509 is typed against the DOM's WebCrypto. Node's own declarations are newer than
// TypeScript's DOM library (ML-KEM key usages), so the two CryptoKey types no longer agree: keys
// are made through the DOM-typed view of the same object.
const webcrypto = nodeWebcrypto as Crypto;

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
/** Browsers refuse leaf certificates valid for more than 398 days. */
const SERVER_VALIDITY_DAYS = 397;
/** A server certificate closer than this to its end is re-issued from the same CA at start. */
const SERVER_RENEW_BEFORE_DAYS = 30;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type DevTls = {
  /** PEM of the CA certificate: what devices must trust. */
  readonly caCertPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** Path of the CA certificate file (PEM). */
  readonly caFile: string;
};

const tlsFileSchema = z.object({
  caKeyPem: z.string().includes('PRIVATE KEY'),
  caCertPem: z.string().includes('CERTIFICATE'),
  serverKeyPem: z.string().includes('PRIVATE KEY'),
  serverCertPem: z.string().includes('CERTIFICATE'),
  serverNotAfter: z.iso.datetime(),
});
type TlsFile = z.infer<typeof tlsFileSchema>;

export function devTlsFile(dataDir: string): string {
  return path.join(secretsDir(dataDir), 'dev-idp-tls.json');
}

/** The CA certificate devices trust (also the `files.devCa` of startServer). */
export function devCaFile(dataDir: string): string {
  return path.join(secretsDir(dataDir), 'dev-ca.pem');
}

// tsyringe (under @peculiar/x509) needs a Reflect polyfill loaded before it; dynamic imports keep
// that order and load neither when the material already exists.
async function loadX509() {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  return x509;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64')).buffer;
}

function serialNumber(): string {
  // Positive 16-byte serial (RFC 5280: at most 20 octets, positive).
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function issueServerCert(
  x509: Awaited<ReturnType<typeof loadX509>>,
  ca: { cert: InstanceType<typeof x509.X509Certificate>; key: CryptoKey },
  now: Date,
): Promise<Pick<TlsFile, 'serverKeyPem' | 'serverCertPem' | 'serverNotAfter'>> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const notAfter = new Date(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=127.0.0.1, O=Attache development OpenID provider',
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    serverKeyPem: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    serverCertPem: cert.toString('pem') + '\n',
    serverNotAfter: notAfter.toISOString(),
  };
}

async function generateAll(now: Date): Promise<TlsFile> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=Attache development CA ${now.toISOString().slice(0, 10)}, O=Attache`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    caKeyPem: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    caCertPem: cert.toString('pem') + '\n',
    ...(await issueServerCert(x509, { cert, key: keys.privateKey }, now)),
  };
}

async function renewServerCert(stored: TlsFile, now: Date): Promise<TlsFile> {
  const x509 = await loadX509();
  const cert = new x509.X509Certificate(stored.caCertPem);
  const key = await webcrypto.subtle.importKey('pkcs8', fromPem(stored.caKeyPem), EC, false, [
    'sign',
  ]);
  return { ...stored, ...(await issueServerCert(x509, { cert, key }, now)) };
}

/**
 * Returns the provider's TLS material, generating the CA and the server certificate on first run
 * and re-issuing the server certificate when it nears its end (the CA, which devices trust, stays).
 */
export async function loadOrCreateDevTls(dataDir: string, now = new Date()): Promise<DevTls> {
  const file = devTlsFile(dataDir);
  // Generation is async and readOrCreateSecretFile is not: prepare the content only when needed.
  // If two processes race, the loser's content is discarded and it reads the winner's file.
  const pending = fs.existsSync(file) ? null : JSON.stringify(await generateAll(now), null, 2);
  let stored = readOrCreateSecretFile(
    file,
    () => pending ?? JSON.stringify({}),
    (text) => tlsFileSchema.parse(JSON.parse(text)),
  );
  if (Date.parse(stored.serverNotAfter) - now.getTime() < SERVER_RENEW_BEFORE_DAYS * DAY_MS) {
    stored = await renewServerCert(stored, now);
    writeFileAtomic(file, JSON.stringify(stored, null, 2));
  }
  const caFile = devCaFile(dataDir);
  const current = fs.existsSync(caFile) ? fs.readFileSync(caFile, 'utf8') : null;
  if (current !== stored.caCertPem) writeFileAtomic(caFile, stored.caCertPem);
  return {
    caCertPem: stored.caCertPem,
    serverCertPem: stored.serverCertPem,
    serverKeyPem: stored.serverKeyPem,
    caFile,
  };
}
