// Persistent storage of the development provider (sessions, grants, authorization codes, refresh
// tokens, interactions) in SQLite, so that a device's refresh token survives a provider restart.
// oidc-provider's in-memory adapter loses them all and silent renewal then fails with
// invalid_grant. One table, keyed by (model, id), with the secondary lookups the adapter contract
// needs (grant id for revocation, session uid, user code).
import Database from 'better-sqlite3';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

export type SqliteAdapterStore = {
  readonly factory: AdapterFactory;
  /** Deletes expired rows; returns how many. */
  sweep(): number;
  close(): void;
};

type Row = { payload: string };

export function createSqliteAdapterStore(deps: {
  file: string;
  now?: () => number;
}): SqliteAdapterStore {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const db = new Database(deps.file);
  db.pragma('journal_mode = WAL');
  // A lost refresh-token rotation would sign the device out: commit to disk before answering.
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS oidc_model (
      model      TEXT NOT NULL,
      id         TEXT NOT NULL,
      payload    TEXT NOT NULL,
      grant_id   TEXT,
      uid        TEXT,
      user_code  TEXT,
      expires_at INTEGER,
      PRIMARY KEY (model, id)
    );
    CREATE INDEX IF NOT EXISTS oidc_model_grant ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (model, uid) WHERE uid IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (model, user_code) WHERE user_code IS NOT NULL;
  `);
  const upsert = db.prepare(`
    INSERT INTO oidc_model (model, id, payload, grant_id, uid, user_code, expires_at)
    VALUES (@model, @id, @payload, @grantId, @uid, @userCode, @expiresAt)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
      uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`);
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const byId = db.prepare<{ model: string; id: string; now: number }, Row>(
    `SELECT payload FROM oidc_model WHERE model = @model AND id = @id AND ${live}`,
  );
  const byUid = db.prepare<{ model: string; uid: string; now: number }, Row>(
    `SELECT payload FROM oidc_model WHERE model = @model AND uid = @uid AND ${live}`,
  );
  const byUserCode = db.prepare<{ model: string; userCode: string; now: number }, Row>(
    `SELECT payload FROM oidc_model WHERE model = @model AND user_code = @userCode AND ${live}`,
  );
  const consume = db.prepare(
    `UPDATE oidc_model SET payload = json_set(payload, '$.consumed', @at) WHERE model = @model AND id = @id`,
  );
  const destroy = db.prepare('DELETE FROM oidc_model WHERE model = @model AND id = @id');
  // Revoking a grant revokes every token of every model issued under it.
  const revokeGrant = db.prepare('DELETE FROM oidc_model WHERE grant_id = @grantId');
  const sweep = db.prepare(
    'DELETE FROM oidc_model WHERE expires_at IS NOT NULL AND expires_at <= @now',
  );

  const parse = (row: Row | undefined): AdapterPayload | undefined =>
    row ? (JSON.parse(row.payload) as AdapterPayload) : undefined;

  const factory: AdapterFactory = (model: string): Adapter => ({
    upsert(id, payload, expiresIn) {
      upsert.run({
        model,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        expiresAt: typeof expiresIn === 'number' ? now() + expiresIn : null,
      });
      return Promise.resolve();
    },
    find(id) {
      return Promise.resolve(parse(byId.get({ model, id, now: now() })));
    },
    findByUid(uid) {
      return Promise.resolve(parse(byUid.get({ model, uid, now: now() })));
    },
    findByUserCode(userCode) {
      return Promise.resolve(parse(byUserCode.get({ model, userCode, now: now() })));
    },
    consume(id) {
      consume.run({ model, id, at: now() });
      return Promise.resolve();
    },
    destroy(id) {
      destroy.run({ model, id });
      return Promise.resolve();
    },
    revokeByGrantId(grantId) {
      revokeGrant.run({ grantId });
      return Promise.resolve();
    },
  });

  return {
    factory,
    sweep: () => sweep.run({ now: now() }).changes,
    close: () => db.close(),
  };
}
