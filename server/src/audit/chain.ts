// The hash chain of the audit trail, shared by the writer and the verifier: each record's hash
// covers its canonical JSON, which includes the previous record's hash. Editing, removing,
// inserting or reordering a record therefore breaks every later link.
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from './types.js';
import { CHAIN_FIELDS } from './types.js';

/** JSON with object keys sorted at every level: the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function recordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _hash, ...rest } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** Builds the next record: the entry's fields flat, chain fields protected. */
export function chainRecord(
  entry: AuditEntry,
  link: { seq: number; prev: string; at: string; instance: string },
): AuditRecord {
  const fields: Record<string, unknown> = {};
  const collisions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if ((CHAIN_FIELDS as readonly string[]).includes(key) || key === 'entry') {
      collisions[key] = value;
    } else fields[key] = value;
  }
  // Round-trip through JSON so that what is hashed is exactly what a reader parses back
  // (undefined dropped, dates as strings, no functions).
  const body = JSON.parse(
    JSON.stringify({
      ...fields,
      ...(Object.keys(collisions).length > 0 ? { entry: collisions } : {}),
      seq: link.seq,
      at: link.at,
      instance: link.instance,
      prev: link.prev,
    }),
  ) as Omit<AuditRecord, 'hash'>;
  return { ...body, hash: recordHash(body) } as AuditRecord;
}
