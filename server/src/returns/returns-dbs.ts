// Which databases are users' returns databases, and whose: only names the server would have
// created for a user (the hex of the user id round-trips exactly).
import { userDbNames, userIdProblem } from '../user-dbs/user-dbs.js';

const RETURNS_DB = /^returns-((?:[0-9a-f]{2})+)$/;

/** The returns databases among `names`, with their owners. */
export function returnsDbsOf(names: readonly string[]): { db: string; userId: string }[] {
  return names.flatMap((name) => {
    const match = RETURNS_DB.exec(name);
    if (!match?.[1]) return [];
    const userId = Buffer.from(match[1], 'hex').toString('utf8');
    // The hex must round-trip exactly.
    if (userIdProblem(userId) || userDbNames(userId).returns !== name) return [];
    return [{ db: name, userId }];
  });
}
