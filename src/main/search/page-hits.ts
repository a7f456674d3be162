// A page of search results as the reader shows it: each briefing's title with its matches
// marked and a snippet around its first match, built from the text the index stores. Snippets
// come from the first field with a match, in this order: summary, body, PDF text, the reader's
// notes, sender; but a briefing whose title matches, and which has a summary, shows its summary
// (from its first words when the match is not in it), as a mail client shows a message's first
// lines under a subject that matched: the title already shows the match, and the summary says
// what the briefing is about. Reading the stored text is most of a query's time (every row is
// pages to decrypt), so it is read in that order and only as far as needed: title, summary and
// sender for every row (small rows of their own, schema 4), the body (pages of its own) for
// rows without a match in the title or summary, the PDFs' text (the largest field) and the
// notes only for rows still without one.
import type { SearchHighlight, SnippetSource } from '../../shared/search.js';
import { searchWords } from '../../shared/search-words.js';
import { cleanText } from './fts-query.js';
import type { MetaEntry } from './meta-cache.js';
import { markAll, snippet } from './snippets.js';
import type { IndexHit, ParsedQuery } from './types.js';

const SNIPPET_THEN = ['attachments', 'notes', 'sender'] as const;

/** How the page reads the index's stored text. */
export type PageText = {
  /** These columns of these rows, by rowid. */
  readonly columns: (
    columns: readonly string[],
    rowids: readonly number[],
  ) => Map<number, Record<string, string>>;
  /** The reader's notes on a briefing ('' when none). */
  readonly notes: (id: string) => string;
};

type Found = { readonly source: SnippetSource; readonly segments: IndexHit['snippet'] };

export function pageHits(
  page: readonly MetaEntry[],
  parsed: ParsedQuery,
  expansions: readonly string[],
  read: PageText,
): IndexHit[] {
  const highlight: SearchHighlight = {
    terms: [...parsed.terms, ...expansions.map((text) => ({ text, prefix: false }))],
    phrases: parsed.phrases,
  };
  // `from:` words are looked for in the sender's name and role only.
  const senderHighlight: SearchHighlight = {
    ...highlight,
    terms: [
      ...highlight.terms,
      ...searchWords(parsed.filters.from ?? '').map((text) => ({ text, prefix: true })),
    ],
  };
  const texts = read.columns(
    ['title', 'summary', 'sender'],
    page.map((entry) => entry.rowid),
  );
  const textOf = (row: MetaEntry): Record<string, string> => {
    let text = texts.get(row.rowid);
    if (!text) texts.set(row.rowid, (text = {}));
    return text;
  };
  const found = new Map<number, Found>();
  const look = (sources: readonly SnippetSource[], rows: readonly MetaEntry[]): void => {
    for (const row of rows) {
      const text = textOf(row);
      for (const source of sources) {
        const segments = snippet(
          text[source] ?? '',
          source === 'sender' ? senderHighlight : highlight,
        );
        if (segments) {
          found.set(row.rowid, { source, segments });
          break;
        }
      }
    }
  };

  look(['summary'], page);
  const titles = new Map(
    page.map((row) => [row.rowid, markAll(textOf(row)['title'] ?? '', highlight)]),
  );
  for (const row of page) {
    const summary = textOf(row)['summary'] ?? '';
    if (found.has(row.rowid) || summary === '') continue;
    if (!titles.get(row.rowid)?.some((segment) => segment.match)) continue;
    found.set(row.rowid, {
      source: 'summary',
      segments: snippet(summary, highlight, { orStart: true }) ?? [],
    });
  }
  let rest = page.filter((row) => !found.has(row.rowid));
  const bodies = read.columns(
    ['body'],
    rest.map((row) => row.rowid),
  );
  for (const row of rest) textOf(row)['body'] = bodies.get(row.rowid)?.['body'] ?? '';
  look(['body'], rest);
  rest = rest.filter((row) => !found.has(row.rowid));
  const withPdfs = rest.filter((row) => row.attachmentCount > 0).map((row) => row.rowid);
  const pdfTexts = read.columns(['attachments'], withPdfs);
  for (const row of rest) {
    const text = textOf(row);
    text['attachments'] = pdfTexts.get(row.rowid)?.['attachments'] ?? '';
    text['notes'] = cleanText(read.notes(row.id));
  }
  look(SNIPPET_THEN, rest);
  // Nothing matched in any field's text (a briefing found by its filters alone): its first words.
  rest = rest.filter((row) => !found.has(row.rowid));
  for (const row of rest) {
    const text = textOf(row);
    const source = text['summary'] ? 'summary' : 'body';
    found.set(row.rowid, {
      source,
      segments: snippet(text[source] ?? '', highlight, { orStart: true }) ?? [],
    });
  }

  return page.map((row): IndexHit => {
    const { source, segments } = found.get(row.rowid) as Found;
    return {
      id: row.id,
      title: titles.get(row.rowid) ?? [],
      snippet: segments,
      snippetSource: source,
      classification: row.classification,
      priority: row.priority,
      senderName: row.senderName,
      approvedAt: row.approvedAt,
      sourceVersion: row.sourceVersion,
      attachmentCount: row.attachmentCount,
    };
  });
}
