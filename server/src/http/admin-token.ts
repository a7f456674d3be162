// The admin token of the demo SOR's HTTP API (and of the ops dead-letter view): generated on
// first run, stored owner-only in the data folder, sent as `Authorization: Bearer <token>`.
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { randomSecret, readOrCreateSecretFile, secretsEqual } from '../config/secret-files.js';

export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'admin-token');
}

export function loadOrCreateAdminToken(dataDir: string): string {
  return readOrCreateSecretFile(
    adminTokenFile(dataDir),
    () => `${randomSecret(32)}\n`,
    (text) => {
      const token = text.trim();
      if (token.length < 32) throw new Error('token too short');
      return token;
    },
  );
}

export function hasAdminToken(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] !== undefined && secretsEqual(match[1], token);
}
