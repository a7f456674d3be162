// A database's `_security` object, written only when it would change something: on Apache
// CouchDB every `_security` write counts as an update of the database (its update sequence
// moves), so the set-up that runs at every start and every first use must leave what is already
// right untouched.
import type { CouchClient, SecurityObject } from './types.js';

/** Whether two security objects grant the same (name and role lists compared as sets). */
export function sameSecurity(current: Partial<SecurityObject>, wanted: SecurityObject): boolean {
  const sameList = (a: readonly string[] | undefined, b: readonly string[]) =>
    Array.isArray(a) && a.length === b.length && b.every((item) => a.includes(item));
  return (['admins', 'members'] as const).every(
    (part) =>
      sameList(current[part]?.names, wanted[part].names) &&
      sameList(current[part]?.roles, wanted[part].roles),
  );
}

/** Sets a database's `_security` unless it already grants exactly that. */
export async function ensureSecurity(
  couch: CouchClient,
  db: string,
  security: SecurityObject,
): Promise<void> {
  if (!sameSecurity(await couch.getSecurity(db), security)) await couch.putSecurity(db, security);
}
