// What the index knows of each briefing besides its words, held in memory by each connection
// that answers queries (the index's thread; the reading connection in the asking thread,
// index-reader.sqlite.ts), so that the newest-first order and the filters run over memory.
// Asking the encrypted file instead meant a b-tree lookup per match, with its pages decrypted,
// and a prefix being typed matches thousands of briefings. Two parts, each loaded from the file
// when first needed and then kept current: by the writes in the index's thread (the file's only
// writer), and in the reading connection by loading them again once the file has changed:
// - the order: each briefing's approval time, read from the date index alone (a few pages), by
//   the first query of any kind;
// - the facts filters test and the answer shows (marking, priority, versions, attachments,
//   notes): tens of milliseconds at 10,000 briefings, so they are filled a slice at a time
//   while the index is idle after it opens (a query between two slices is answered), and at
//   once only by a query with a filter that comes before they are complete.
import type { Classification, Priority } from '../../shared/briefing.js';
import { readTest, type FilterFacts } from './fts-query.js';

/** A briefing's place in the newest-first order. */
export type Ranked = { readonly rowid: number; readonly approvedTime: number };

export type MetaEntry = Ranked &
  FilterFacts & {
    readonly classification: Classification;
    readonly priority: Priority;
    readonly senderName: string;
    /** As the briefing gives it (ISO 8601), for the answer. */
    readonly approvedAt: string;
  };

/** Milliseconds since 1970 of an approval time; one that does not parse sorts as the oldest. */
export function approvedTime(iso: string): number {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? -Infinity : time;
}

/** An entry from its row's fields. */
export function metaEntry(fields: Omit<MetaEntry, 'approvedTime'>): MetaEntry {
  return {
    rowid: fields.rowid,
    id: fields.id,
    classification: fields.classification,
    priority: fields.priority,
    senderName: fields.senderName,
    approvedAt: fields.approvedAt,
    approvedTime: approvedTime(fields.approvedAt),
    sourceVersion: fields.sourceVersion,
    attachmentCount: fields.attachmentCount,
  };
}

/** Where the facts come from: those of the briefings after a row, in row order, and notes. */
export type FactsSource = {
  readonly after: (rowid: number, count: number) => readonly MetaEntry[];
  readonly idsWithNotes: () => Iterable<string>;
};

/** Rows read per slice of the facts. */
const SLICE = 1_000;

export class MetaCache {
  private readonly order = new Map<number, Ranked>();
  private facts: Map<number, MetaEntry> | null = null;
  private withNotes: Set<string> | null = null;
  /** Facts read so far, while they are being filled, and the last row read. */
  private filling = new Map<number, MetaEntry>();
  private filledTo = -Infinity;
  /** Bumped by every change of a briefing's facts, so what was worked out from them is redone. */
  private generation = 0;
  /** The briefings read, by row, as worked out for one map of read versions. */
  private read: {
    readonly versions: ReadonlyMap<string, number>;
    readonly generation: number;
    readonly rows: Uint8Array;
  } | null = null;

  constructor(
    order: Iterable<Ranked>,
    private readonly source: FactsSource,
  ) {
    for (const ranked of order) this.order.set(ranked.rowid, ranked);
  }

  get size(): number {
    return this.order.size;
  }

  ranked(rowid: number): Ranked | undefined {
    return this.order.get(rowid);
  }

  allRanked(): Iterable<Ranked> {
    return this.order.values();
  }

  /** Whether every briefing's facts are in memory. */
  get factsComplete(): boolean {
    return this.facts !== null;
  }

  /** Reads the next slice of the facts; false once they are complete. */
  fillSome(): boolean {
    if (this.facts) return false;
    const slice = this.source.after(this.filledTo, SLICE);
    for (const entry of slice) this.filling.set(entry.rowid, entry);
    if (slice.length > 0) this.filledTo = (slice[slice.length - 1] as MetaEntry).rowid;
    if (slice.length === SLICE) return true;
    this.withNotes = new Set(this.source.idsWithNotes());
    this.facts = this.filling;
    return false;
  }

  /** A briefing's facts (completing them first if they are not yet). */
  factsOf(rowid: number): MetaEntry | undefined {
    return this.completeFacts().get(rowid);
  }

  hasNotes(id: string): boolean {
    this.completeFacts();
    return (this.withNotes as Set<string>).has(id);
  }

  /**
   * Whether the reader has read a briefing, by its row: worked out for every briefing once per
   * map of read versions (a new map comes only when the reader reads something), so that the
   * unread filter looks at one byte per match instead of looking its id up in the map.
   */
  readTest(readVersions: ReadonlyMap<string, number>): (briefing: FilterFacts) => boolean {
    if (this.read?.versions !== readVersions || this.read.generation !== this.generation) {
      const facts = this.completeFacts();
      let last = 0;
      for (const rowid of facts.keys()) last = Math.max(last, rowid);
      const rows = new Uint8Array(last + 1);
      const isRead = readTest(readVersions);
      for (const entry of facts.values()) if (isRead(entry)) rows[entry.rowid] = 1;
      this.read = { versions: readVersions, generation: this.generation, rows };
    }
    const rows = this.read.rows;
    return (briefing) => rows[briefing.rowid] === 1;
  }

  set(entry: MetaEntry): void {
    this.generation++;
    this.order.set(entry.rowid, { rowid: entry.rowid, approvedTime: entry.approvedTime });
    // While filling, a row not read yet is read later as the file has it, with this write.
    this.filling.set(entry.rowid, entry);
  }

  delete(rowid: number): void {
    this.generation++;
    this.order.delete(rowid);
    this.filling.delete(rowid);
  }

  /** Notes set or cleared; until the facts are complete the file says it. */
  setNotes(id: string, has: boolean): void {
    if (has) this.withNotes?.add(id);
    else this.withNotes?.delete(id);
  }

  private completeFacts(): Map<number, MetaEntry> {
    while (this.fillSome());
    return this.facts as Map<number, MetaEntry>;
  }
}

/** Newer first; equal times by the later row first, so the order never changes between asks. */
export const newerFirst = (a: Ranked, b: Ranked): number =>
  b.approvedTime - a.approvedTime || b.rowid - a.rowid;

/**
 * The first `limit` of `entries` in the order `compare` gives: one pass, keeping a sorted page
 * (thousands of matches for a page of fifty, so sorting them all would be the cost).
 */
export function firstOf<T>(
  entries: Iterable<T>,
  limit: number,
  compare: (a: T, b: T) => number,
): T[] {
  const page: T[] = [];
  if (limit <= 0) return page;
  for (const entry of entries) {
    if (page.length === limit) {
      if (compare(entry, page[limit - 1] as T) >= 0) continue;
      page.pop();
    }
    let at = page.length;
    while (at > 0 && compare(entry, page[at - 1] as T) < 0) at--;
    page.splice(at, 0, entry);
  }
  return page;
}

/** The `limit` newest of `entries`. */
export function newest<T extends Ranked>(entries: Iterable<T>, limit: number): T[] {
  return firstOf(entries, limit, newerFirst);
}
