import { describe, expect, it } from 'vitest';
import {
  MalformedSorDocumentError,
  canonicalJson,
  sanitizeBriefingHtml,
  transformSorDocument,
} from '../../../server/src/fanout/transform.js';
import type { SorDocument } from '../../../server/src/sor/types.js';

function sorDocument(
  overrides: Partial<SorDocument> = {},
  content: Record<string, unknown> = {},
): SorDocument {
  return {
    sorId: 'BRF-000042',
    version: 3,
    approvedAt: '2025-03-04T05:06:07.000Z',
    recipients: ['alex.morgan'],
    content: {
      title: 'Cabinet submission: water recovery',
      summary: 'Short summary.',
      bodyHtml: '<h2>Purpose</h2><p>To brief you.</p><ul><li>One</li></ul>',
      classification: 'PROTECTED',
      priority: 'urgent',
      sender: { name: 'Priya Raman', role: 'First Assistant Secretary' },
      createdAt: '2025-03-01T00:00:00.000Z',
      updatedAt: '2025-03-04T00:00:00.000Z',
      ...content,
    },
    attachments: [
      {
        name: 'paper.pdf',
        contentType: 'application/pdf',
        data: new TextEncoder().encode('%PDF-1.7 fake'),
      },
    ],
    ...overrides,
  };
}

describe('HTML sanitisation', () => {
  it('removes script elements and their content', () => {
    const out = sanitizeBriefingHtml('<p>Before</p><script>alert("x")</script><p>After</p>');
    expect(out).toBe('<p>Before</p><p>After</p>');
  });

  it('removes on* event handler attributes', () => {
    const out = sanitizeBriefingHtml(
      '<p onclick="steal()" onmouseover="x()">Text</p><td onload="y()">c</td>',
    );
    expect(out).not.toMatch(/on(click|mouseover|load)/i);
    expect(out).toContain('<p>Text</p>');
  });

  it('strips javascript: and data: URLs but keeps https links (made safe)', () => {
    const out = sanitizeBriefingHtml(
      '<a href="javascript:alert(1)">bad</a><a href="JaVaScRiPt:alert(1)">bad2</a>' +
        '<a href="data:text/html,<script>x</script>">bad3</a><a href="https://www.pmc.gov.au/">good</a>',
    );
    expect(out).not.toMatch(/javascript:|data:/i);
    expect(out).toContain(
      '<a href="https://www.pmc.gov.au/" rel="noopener noreferrer" target="_blank">good</a>',
    );
  });

  it('drops embeds, forms, images, styles and classes; keeps tables, lists and headings', () => {
    const out = sanitizeBriefingHtml(
      '<iframe src="https://x"></iframe><form><input></form><img src="x" onerror="y()">' +
        '<style>p{}</style><p style="color:red" class="c">p</p>' +
        '<table><thead><tr><th scope="col">H</th></tr></thead><tbody><tr><td colspan="2">D</td></tr></tbody></table>' +
        '<h2>Heading</h2><ol><li>one</li></ol>',
    );
    expect(out).not.toMatch(/iframe|form|input|img|style|class=/i);
    expect(out).toContain('<p>p</p>');
    expect(out).toContain('<th scope="col">H</th>');
    expect(out).toContain('<td colspan="2">D</td>');
    expect(out).toContain('<h2>Heading</h2><ol><li>one</li></ol>');
  });
});

describe('transformSorDocument', () => {
  it('produces a briefing document with a deterministic id, the classification kept, and attachment metadata', () => {
    const { id, doc, attachments } = transformSorDocument(sorDocument());
    expect(id).toBe('briefing:BRF-000042');
    expect(doc).toMatchObject({
      type: 'briefing',
      schemaVersion: 1,
      sorId: 'BRF-000042',
      sourceVersion: 3,
      classification: 'PROTECTED',
      priority: 'urgent',
      title: 'Cabinet submission: water recovery',
      summary: 'Short summary.',
      approvedAt: '2025-03-04T05:06:07.000Z',
      attachments: [{ name: 'paper.pdf', contentType: 'application/pdf', size: 13 }],
    });
    expect(attachments[0]?.couchDigest).toMatch(/^md5-/);
  });

  it('sanitises hostile body HTML but keeps the classification marking and title as given', () => {
    const { doc } = transformSorDocument(
      sorDocument(
        {},
        {
          bodyHtml:
            '<p onclick="x()">Body</p><script>alert(1)</script><a href="javascript:alert(1)">l</a>',
          classification: 'OFFICIAL: Sensitive',
        },
      ),
    );
    expect(doc.bodyHtml).toBe('<p>Body</p><a rel="noopener noreferrer" target="_blank">l</a>');
    expect(doc.classification).toBe('OFFICIAL: Sensitive');
  });

  it('derives a plain-text summary from the body when the SOR has none', () => {
    const { doc } = transformSorDocument(
      sorDocument({}, { summary: '', bodyHtml: '<h2>Purpose</h2><p>Fish &amp; chips &lt;3</p>' }),
    );
    expect(doc.summary).toBe('Purpose Fish & chips <3');
  });

  it('takes the summary from the sanitised text: no script, words kept whole, blocks apart', () => {
    const { doc } = transformSorDocument(
      sorDocument(
        {},
        {
          summary: '',
          bodyHtml:
            '<p>Hel<b>lo</b> <script>alert("x")</script>world</p><ul><li>One</li><li>Two</li></ul>' +
            '<style>p{}</style><table><tr><td>a</td><td>b</td></tr></table><custom>kept "text"</custom>',
        },
      ),
    );
    expect(doc.summary).toBe('Hello world One Two a b kept "text"');
  });

  it('refuses a malformed record with every problem named', () => {
    const attempt = () =>
      transformSorDocument(
        sorDocument(
          {
            attachments: [
              { name: '_bad', contentType: 'application/pdf', data: new Uint8Array(1) },
            ],
          },
          { title: undefined, classification: 'CONFIDENTIAL' },
        ),
      );
    expect(attempt).toThrow(MalformedSorDocumentError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('BRF-000042');
      expect(message).toContain('content.title');
      expect(message).toContain('content.classification');
      expect(message).toContain('attachments.0.name');
    }
  });

  it('refuses duplicate attachment names and a record that is not an object', () => {
    const pdf = { name: 'a.pdf', contentType: 'application/pdf', data: new Uint8Array(1) };
    expect(() => transformSorDocument(sorDocument({ attachments: [pdf, pdf] }))).toThrow(
      /duplicate name/,
    );
    expect(() => transformSorDocument({ ...sorDocument(), content: 'not an object' })).toThrow(
      MalformedSorDocumentError,
    );
  });
});

describe('content hash', () => {
  it('is stable: the same SOR document always gives the same hash', () => {
    const a = transformSorDocument(sorDocument()).doc.contentHash;
    const b = transformSorDocument(sorDocument()).doc.contentHash;
    expect(a).toBe(b);
    expect(a).toMatch(/^sha256-[0-9a-f]{64}$/);
  });

  it('does not depend on the order of fields or attachments in the SOR record', () => {
    const one = { name: 'a.pdf', contentType: 'application/pdf', data: new Uint8Array([1]) };
    const two = { name: 'b.png', contentType: 'image/png', data: new Uint8Array([2]) };
    const base = sorDocument({ attachments: [one, two] });
    const content = base.content as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(content).reverse());
    const h1 = transformSorDocument(base).doc.contentHash;
    const h2 = transformSorDocument({ ...base, content: reordered, attachments: [two, one] }).doc
      .contentHash;
    expect(h2).toBe(h1);
  });

  it('changes when the text, the version or the attachment bytes change', () => {
    const base = transformSorDocument(sorDocument()).doc.contentHash;
    expect(transformSorDocument(sorDocument({}, { title: 'Other' })).doc.contentHash).not.toBe(
      base,
    );
    expect(transformSorDocument(sorDocument({ version: 4 })).doc.contentHash).not.toBe(base);
    const changedBytes = sorDocument({
      attachments: [
        {
          name: 'paper.pdf',
          contentType: 'application/pdf',
          data: new TextEncoder().encode('%PDF-1.7 fakE'),
        },
      ],
    });
    expect(transformSorDocument(changedBytes).doc.contentHash).not.toBe(base);
  });

  it('is computed over canonical JSON (sorted keys at every level)', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
