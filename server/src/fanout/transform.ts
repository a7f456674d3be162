// SOR document -> briefing document (src/shared/briefing.ts). Pure: no I/O, so it is the place
// where untrusted SOR records are validated, hostile HTML is made inert, and the content hash
// that makes replays no-ops is computed.
import { createHash } from 'node:crypto';
import sanitizeHtml from 'sanitize-html';
import { z } from 'zod';
import {
  BRIEFING_SCHEMA_VERSION,
  briefingDocId,
  briefingDocSchema,
} from '../../../src/shared/briefing.js';
import type { BriefingDoc } from '../../../src/shared/briefing.js';
import {
  attachmentNameSchema,
  contentTypeSchema,
  sorBriefingContentSchema,
} from '../sor/briefing-content.js';
import { MAX_ATTACHMENT_BYTES } from '../sor/types.js';
import type { SorDocument } from '../sor/types.js';

/** A SOR record the pipeline cannot turn into a briefing; retrying will not help. */
export class MalformedSorDocumentError extends Error {
  readonly code = 'SOR_DOCUMENT_MALFORMED';
  constructor(
    readonly sorId: string,
    readonly problems: readonly string[],
  ) {
    super(`SOR document ${JSON.stringify(sorId)} is malformed: ${problems.join('; ')}`);
    this.name = 'MalformedSorDocumentError';
  }
}

export type BriefingAttachment = {
  readonly name: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  /** sha256 hex of the bytes (part of the content hash). */
  readonly sha256: string;
  /** CouchDB's attachment digest ("md5-<base64>"), to recognise an unchanged attachment. */
  readonly couchDigest: string;
};

export type TransformedBriefing = {
  readonly id: string;
  readonly doc: BriefingDoc;
  readonly attachments: readonly BriefingAttachment[];
};

const SUMMARY_LENGTH = 280;

// Allow-list: structure and emphasis only. No images (they would load remote content), no
// styles or classes, no forms or embeds; links only to https/http/mailto.
const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'p',
    'br',
    'hr',
    'div',
    'span',
    'blockquote',
    'pre',
    'code',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'strong',
    'b',
    'em',
    'i',
    'u',
    's',
    'sub',
    'sup',
    'small',
    'mark',
    'abbr',
    'a',
    'table',
    'caption',
    'colgroup',
    'col',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: {
    a: ['href', 'title'],
    abbr: ['title'],
    ol: ['start', 'type'],
    th: ['colspan', 'rowspan', 'scope'],
    td: ['colspan', 'rowspan'],
    col: ['span'],
    colgroup: ['span'],
  },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer', target: '_blank' }),
  },
};
// rel/target are added by the transform above, after the attribute filter ran.
SANITIZE_OPTIONS.allowedAttributes = {
  ...(SANITIZE_OPTIONS.allowedAttributes as Record<string, string[]>),
  a: ['href', 'title', 'rel', 'target'],
};

export function sanitizeBriefingHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

/** Elements whose end separates words in the plain text. */
const BLOCK_ENDS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'td',
  'th',
  'tr',
  'div',
]);

/**
 * Sanitised HTML and, from the same parse, its plain text (for the derived summary; text, not
 * HTML). One pass: a second parse of every body only to read its text cost about a third of
 * the fan-out's transform time.
 */
function sanitizeWithText(html: string): { html: string; text: string } {
  const parts: string[] = [];
  const clean = sanitizeHtml(html, {
    ...SANITIZE_OPTIONS,
    textFilter: (text) => {
      parts.push(text);
      return text;
    },
    onCloseTag: (name) => {
      if (BLOCK_ENDS.has(name)) parts.push(' ');
    },
  });
  const text = parts
    .join('')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return { html: clean, text };
}

function summarise(bodyText: string): string {
  if (bodyText.length <= SUMMARY_LENGTH) return bodyText;
  const cut = bodyText.slice(0, SUMMARY_LENGTH);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), SUMMARY_LENGTH - 40))}…`;
}

/** JSON with object keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 over the briefing's canonical content (everything but the hash itself) and the digests
 * of its attachments. Equal hash = nothing to write.
 */
export function computeContentHash(
  doc: Omit<BriefingDoc, 'contentHash'>,
  attachments: readonly { name: string; contentType: string; sha256: string }[],
): string {
  const files = [...attachments]
    .map((a) => ({ name: a.name, contentType: a.contentType, sha256: a.sha256 }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = canonicalJson({ doc, files });
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

const attachmentSchema = z.object({
  name: attachmentNameSchema,
  contentType: contentTypeSchema,
  data: z.instanceof(Uint8Array).refine((d) => d.byteLength <= MAX_ATTACHMENT_BYTES, {
    error: `larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`,
  }),
});

function problemsOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${where || '(record)'}: ${issue.message}`;
  });
}

export function transformSorDocument(source: SorDocument): TransformedBriefing {
  const problems: string[] = [];
  if (!Number.isSafeInteger(source.version) || source.version < 1) {
    problems.push(`version: expected a positive integer, got ${JSON.stringify(source.version)}`);
  }
  if (Number.isNaN(Date.parse(source.approvedAt))) {
    problems.push(`approvedAt: not a date (${JSON.stringify(source.approvedAt)})`);
  }
  const content = sorBriefingContentSchema.safeParse(source.content);
  if (!content.success) problems.push(...problemsOf(content.error, 'content'));

  const attachments: BriefingAttachment[] = [];
  const seen = new Set<string>();
  source.attachments.forEach((raw, index) => {
    const parsed = attachmentSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, `attachments.${index}`));
      return;
    }
    if (seen.has(parsed.data.name)) {
      problems.push(
        `attachments.${index}.name: duplicate name ${JSON.stringify(parsed.data.name)}`,
      );
      return;
    }
    seen.add(parsed.data.name);
    const data = parsed.data.data;
    attachments.push({
      name: parsed.data.name,
      contentType: parsed.data.contentType.toLowerCase(),
      data,
      sha256: createHash('sha256').update(data).digest('hex'),
      couchDigest: `md5-${createHash('md5').update(data).digest('base64')}`,
    });
  });

  if (!content.success || problems.length > 0) {
    throw new MalformedSorDocumentError(source.sorId, problems);
  }

  const c = content.data;
  const body = sanitizeWithText(c.bodyHtml);
  const bodyHtml = body.html;
  // Title, summary and sender are plain text (the reader renders them as text, never as HTML).
  const summary = c.summary.trim() !== '' ? c.summary.trim() : summarise(body.text);
  const withoutHash: Omit<BriefingDoc, 'contentHash'> = {
    type: 'briefing',
    schemaVersion: BRIEFING_SCHEMA_VERSION,
    sorId: source.sorId,
    sourceVersion: source.version,
    title: c.title,
    summary,
    bodyHtml,
    classification: c.classification,
    priority: c.priority,
    sender: c.sender,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
    approvedAt: new Date(source.approvedAt).toISOString(),
    attachments: [...attachments]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((a) => ({ name: a.name, contentType: a.contentType, size: a.data.byteLength })),
  };
  const doc = briefingDocSchema.parse({
    ...withoutHash,
    contentHash: computeContentHash(withoutHash, attachments),
  });
  return { id: briefingDocId(source.sorId), doc, attachments };
}
