// The words of a briefing for the index: its body's text out of the (already sanitised) HTML,
// read with a real HTML parser (htmlparser2: entities decoded, markup never taken for words).
import { Parser } from 'htmlparser2';
import { BLOCK_ELEMENTS as BLOCKS } from '../../shared/html-blocks.js';
import type { BriefingSource, IndexedBriefing } from './types.js';

/** Never text, even if a future sanitiser let one through. */
const SKIPPED = new Set(['script', 'style', 'template', 'noscript']);

export function htmlToText(html: string): string {
  const parts: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (SKIPPED.has(name)) skipping += 1;
        else if (BLOCKS.has(name)) parts.push('\n');
        // An image's text alternative is part of what the briefing says.
        if (name === 'img' && attributes['alt']) parts.push(` ${attributes['alt']} `);
      },
      ontext(text) {
        if (skipping === 0) parts.push(text);
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCKS.has(name)) parts.push('\n');
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return parts
    .join('')
    .replace(/[ \t\f\v\r\u00a0]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

export function toIndexedBriefing(source: BriefingSource): IndexedBriefing {
  const { bodyHtml, ...rest } = source;
  return { ...rest, body: htmlToText(bodyHtml) };
}
