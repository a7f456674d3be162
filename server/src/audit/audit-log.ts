// The audit log as the rest of the server knows it. The implementation is the hash-chained,
// append-only trail in ../audit/ (verify it with `npm run audit:verify -- <file>`); this module
// keeps the original entry point so that callers (broker, identity provider) need not change.
import os from 'node:os';
import { createAuditTrail } from './audit-trail.js';
import type { AuditLog } from './types.js';

export type { AuditEntry, AuditLog } from './types.js';

export function createFileAuditLog(deps: { file: string; instance?: string }): AuditLog {
  return createAuditTrail({ file: deps.file, instance: deps.instance ?? os.hostname() });
}
