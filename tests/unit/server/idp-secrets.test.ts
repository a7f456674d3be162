// The development provider's secrets: TLS material from a local CA, signing keys, persisted
// owner-only and reused; the server certificate renewed from the same CA; keys rotated by kid.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devTlsFile, loadOrCreateDevTls } from '../../../server/src/demo/idp/dev-ca.js';
import {
  idpKeysFile,
  loadOrCreateIdpKeys,
  rotateIdpSigningKey,
} from '../../../server/src/demo/idp/signing-keys.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-idp-secrets-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('development CA and server certificate', () => {
  it('issues a certificate for 127.0.0.1 and localhost, signed by a CA, files owner-only', async () => {
    const tls = await loadOrCreateDevTls(dir);
    const caCert = new X509Certificate(tls.caCertPem);
    const server = new X509Certificate(tls.serverCertPem);
    expect(caCert.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(caCert)).toBe(true);
    expect(server.verify(caCert.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('evil.example')).toBeUndefined();
    expect(fs.readFileSync(tls.caFile, 'utf8')).toBe(tls.caCertPem);
    expect(mode(tls.caFile)).toBe(0o600);
    expect(mode(devTlsFile(dir))).toBe(0o600);
    expect(mode(path.dirname(tls.caFile))).toBe(0o700);
  });

  it('reuses the same CA and certificate on the next start', async () => {
    const first = await loadOrCreateDevTls(dir);
    const second = await loadOrCreateDevTls(dir);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).toBe(first.serverCertPem);
  });

  it('renews a server certificate near its end from the same CA, which devices keep trusting', async () => {
    const first = await loadOrCreateDevTls(dir);
    const later = new Date(Date.now() + 380 * 24 * 3600 * 1000);
    const renewed = await loadOrCreateDevTls(dir, later);
    expect(renewed.caCertPem).toBe(first.caCertPem);
    expect(renewed.serverCertPem).not.toBe(first.serverCertPem);
    expect(
      new X509Certificate(renewed.serverCertPem).checkIssued(new X509Certificate(first.caCertPem)),
    ).toBe(true);
  });

  it('never replaces unreadable TLS material silently', async () => {
    fs.mkdirSync(path.join(dir, 'secrets'), { recursive: true });
    fs.writeFileSync(devTlsFile(dir), '{"half": ');
    await expect(loadOrCreateDevTls(dir)).rejects.toMatchObject({ code: 'SECRET_FILE_INVALID' });
  });
});

describe('signing keys', () => {
  it('generates one ES256 key once, owner-only, and reuses it', () => {
    const first = loadOrCreateIdpKeys(dir);
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(loadOrCreateIdpKeys(dir)).toEqual(first);
    expect(mode(idpKeysFile(dir))).toBe(0o600);
  });

  it('rotates: the new key signs, the previous ones stay published, at most three kept', () => {
    const original = loadOrCreateIdpKeys(dir).keys[0]!.kid;
    const kids = [rotateIdpSigningKey(dir), rotateIdpSigningKey(dir), rotateIdpSigningKey(dir)];
    const keys = loadOrCreateIdpKeys(dir).keys.map((k) => k.kid);
    expect(keys).toEqual([kids[2], kids[1], kids[0]]);
    expect(keys).not.toContain(original);
    expect(new Set(keys).size).toBe(3);
  });
});
