// The texts of earlier versions of annotated briefings: the server serves only a briefing's
// current revision, and auto-compaction drops the earlier one as soon as a new version is written,
// so the text a mark was made on is kept here for the reader's "what changed" view.
//
// Each briefing's kept versions are one `_local` document of the briefings database
// (`_local/attache-versions:<briefing id>`): sealed like every other value of the store, never
// replicated, erased with the store. `_local` documents cannot be listed, so a second one
// (`_local/attache-versions`) names the briefings that have any; the purge of withdrawn briefings
// reads it and deletes their kept texts before the compaction and vacuum take them off the disk.
import type { Db } from './change-feed.pouch.js';
import { isConflict, isNotFound } from './change-feed.pouch.js';
import type { VersionText } from './types.js';

const INDEX_ID = '_local/attache-versions';
const docId = (briefingId: string) => `${INDEX_ID}:${briefingId}`;
/** Versions kept per briefing; the oldest go first (a briefing revised more often is rare). */
export const MAX_KEPT_VERSIONS = 20;

type KeptDoc = {
  readonly _id: string;
  readonly _rev?: string;
  readonly versions?: Record<string, { title: string; bodyHtml: string; keptAt: string }>;
};
type IndexDoc = { readonly _id: string; readonly _rev?: string; readonly briefings?: string[] };

async function getLocal<T extends { _id: string }>(db: Db, id: string): Promise<T | null> {
  try {
    return (await db.get(id)) as unknown as T;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Writes a `_local` document from its current state, again if another write came first. */
async function update<T extends { _id: string; _rev?: string }>(
  db: Db,
  id: string,
  change: (current: T | null) => T | null,
): Promise<void> {
  for (;;) {
    const current = await getLocal<T>(db, id);
    const next = change(current);
    if (next === null || next === current) return;
    try {
      await db.put(next as unknown as PouchDB.Core.PutDocument<object>);
      return;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

async function removeLocal(db: Db, id: string): Promise<void> {
  const current = await getLocal<KeptDoc>(db, id);
  if (current?._rev) await db.remove(current._id, current._rev);
}

/** Keeps `text`; a version already kept stays as it was. */
export async function keepVersionText(db: Db, text: VersionText): Promise<void> {
  const version = String(text.sourceVersion);
  await update<KeptDoc>(db, docId(text.briefingId), (current) => {
    const versions = current?.versions ?? {};
    if (versions[version]) return current;
    const kept = Object.entries({
      ...versions,
      [version]: { title: text.title, bodyHtml: text.bodyHtml, keptAt: text.keptAt },
    })
      .sort(([a], [b]) => Number(b) - Number(a))
      .slice(0, MAX_KEPT_VERSIONS);
    return {
      _id: docId(text.briefingId),
      ...(current?._rev ? { _rev: current._rev } : {}),
      versions: Object.fromEntries(kept),
    };
  });
  await update<IndexDoc>(db, INDEX_ID, (current) => {
    const briefings = current?.briefings ?? [];
    if (briefings.includes(text.briefingId)) return current;
    return {
      _id: INDEX_ID,
      ...(current?._rev ? { _rev: current._rev } : {}),
      briefings: [...briefings, text.briefingId].sort(),
    };
  });
}

export async function readVersionText(
  db: Db,
  briefingId: string,
  sourceVersion: number,
): Promise<VersionText | null> {
  const kept = (await getLocal<KeptDoc>(db, docId(briefingId)))?.versions?.[String(sourceVersion)];
  return kept ? { briefingId, sourceVersion, ...kept } : null;
}

/**
 * Deletes the kept texts of briefings the database no longer holds (deleted: unshared, or
 * removed by the device's ceiling). Run inside the purge, before its compaction and vacuum.
 * Resolves with how many briefings' texts went.
 */
export async function dropWithdrawnVersionTexts(db: Db): Promise<number> {
  const index = await getLocal<IndexDoc>(db, INDEX_ID);
  const listed = index?.briefings ?? [];
  if (listed.length === 0) return 0;
  const found = await db.allDocs({ keys: listed });
  const gone = new Set(
    found.rows.flatMap((row) =>
      'value' in row && row.value && !row.value.deleted ? [] : [row.key],
    ),
  );
  if (gone.size === 0) return 0;
  for (const id of gone) await removeLocal(db, docId(id));
  await update<IndexDoc>(db, INDEX_ID, (current) => ({
    _id: INDEX_ID,
    ...(current?._rev ? { _rev: current._rev } : {}),
    briefings: (current?.briefings ?? []).filter((id) => !gone.has(id)),
  }));
  return gone.size;
}
