// The development provider's list of revoked access tokens, for the broker. Access tokens are
// JWTs the broker checks on its own, so revoking a sign-in at the provider (a replayed
// authorization code or refresh token, the revocation endpoint, logout) would leave the access
// tokens already issued working until they expire. The provider therefore remembers which grant
// each access token came from (`jti` -> grant), and when a grant is revoked it publishes the ids
// of that grant's tokens that have not expired yet; the broker polls the list and refuses them.
//
// Kept in the provider's own SQLite file (idp.sqlite) beside oidc-provider's state, in a table
// of its own, so a provider restart forgets no revocation. Rows go once their token has expired.
import Database from 'better-sqlite3';

export type RevokedToken = { readonly jti: string; readonly exp: number };

export type RevokedTokenStore = {
  /** An access token for `user` was issued under `grantId`, listed until `exp` (epoch seconds). */
  issued(jti: string, grantId: string, user: string | null, exp: number): void;
  /**
   * The grant was revoked: every unexpired token issued under it is revoked. Returns how many,
   * and whose they were (the grant itself is gone by now).
   */
  revokeGrant(grantId: string): { readonly tokens: number; readonly user: string | null };
  /** Revoked tokens that have not expired yet. */
  revoked(): readonly RevokedToken[];
  /** Deletes rows of expired tokens; returns how many. */
  sweep(): number;
  close(): void;
};

export function createRevokedTokenStore(deps: {
  file: string;
  now?: () => number;
}): RevokedTokenStore {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const db = new Database(deps.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS access_token_grant (
      jti        TEXT PRIMARY KEY,
      grant_id   TEXT NOT NULL,
      account_id TEXT,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS access_token_grant_by_grant ON access_token_grant (grant_id);
    CREATE INDEX IF NOT EXISTS access_token_grant_revoked
      ON access_token_grant (expires_at) WHERE revoked_at IS NOT NULL;
  `);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO access_token_grant (jti, grant_id, account_id, expires_at) VALUES (?, ?, ?, ?)',
  );
  const accountOf = db.prepare<{ grantId: string }, { account_id: string | null }>(
    'SELECT account_id FROM access_token_grant WHERE grant_id = @grantId AND account_id IS NOT NULL LIMIT 1',
  );
  const revoke = db.prepare(
    `UPDATE access_token_grant SET revoked_at = @now
       WHERE grant_id = @grantId AND revoked_at IS NULL AND expires_at > @now`,
  );
  const list = db.prepare<{ now: number }, { jti: string; expires_at: number }>(
    `SELECT jti, expires_at FROM access_token_grant
       WHERE revoked_at IS NOT NULL AND expires_at > @now ORDER BY expires_at`,
  );
  const sweep = db.prepare('DELETE FROM access_token_grant WHERE expires_at <= @now');

  return {
    issued(jti, grantId, user, exp) {
      insert.run(jti, grantId, user, exp);
    },
    revokeGrant(grantId) {
      const tokens = revoke.run({ grantId, now: now() }).changes;
      return { tokens, user: accountOf.get({ grantId })?.account_id ?? null };
    },
    revoked: () => list.all({ now: now() }).map((row) => ({ jti: row.jti, exp: row.expires_at })),
    sweep: () => sweep.run({ now: now() }).changes,
    close: () => db.close(),
  };
}
