// The demo SOR's SQLite tables (created when missing, at every start).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  current_version INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
  doc_id TEXT NOT NULL REFERENCES documents(id),
  version INTEGER NOT NULL,
  content TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS attachments (
  doc_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, version, name)
);
CREATE TABLE IF NOT EXISTS recipients (
  doc_id TEXT NOT NULL REFERENCES documents(id),
  user_id TEXT NOT NULL,
  shared_at TEXT NOT NULL,
  PRIMARY KEY (doc_id, user_id)
);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('share', 'unshare')),
  doc_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  approved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL
);
-- What Attaché withheld and why (a marking above the organisation's ceiling). Added after the
-- first release: CREATE IF NOT EXISTS gives an existing demo SOR the table at its next start.
CREATE TABLE IF NOT EXISTS delivery_notices (
  idempotency_key TEXT PRIMARY KEY,
  doc_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  classification TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS returns (
  idempotency_key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at TEXT NOT NULL
);
`;
