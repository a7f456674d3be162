// Audit trail of security decisions (for now: the broker's). Append-only JSON lines in the data
// folder, owner-only. A later step chains record hashes to make tampering evident; callers do
// not change when it does.
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from './logger.js';

const log = createLogger('audit');

export type AuditEntry = {
  readonly action: string;
  readonly user: string | null;
  readonly decision: 'allowed' | 'refused';
  readonly reason: string;
  readonly [detail: string]: unknown;
};

export type AuditLog = {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
};

export function createFileAuditLog(deps: { file: string }): AuditLog {
  fs.mkdirSync(path.dirname(deps.file), { recursive: true, mode: 0o700 });
  const stream = fs.createWriteStream(deps.file, { flags: 'a', mode: 0o600 });
  stream.on('error', (error) => log.error({ err: error.message }, 'audit log write failed'));
  return {
    record(entry) {
      const line = { at: new Date().toISOString(), ...entry };
      stream.write(`${JSON.stringify(line)}\n`);
      if (entry.decision === 'refused') log.info(line, 'refused');
      else log.debug(line, 'allowed');
    },
    close() {
      return new Promise((resolve) => stream.end(resolve));
    },
  };
}
