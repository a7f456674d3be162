// A briefing's body as the reader shows it: sanitised (links inert, with words saying whether the
// organisation's policy lets each open) and its text, which is what marks anchor to. The open
// briefing and an earlier version kept for "what changed" go through the same steps, so their
// texts compare and a mark's offsets mean the same in both.
import { useMemo } from 'react';
import { BLOCK_ELEMENTS } from '../../../shared/html-blocks.js';
import { linkDecision } from '../../../shared/link-policy.js';
import { useConfig } from '../settings/use-config.js';
import { createBriefingSanitizer, type BriefingSanitizer, type LinkOpens } from './sanitize.js';

let sanitizer: BriefingSanitizer | null = null;
function sanitize(html: string, linkOpens: LinkOpens): string {
  sanitizer ??= createBriefingSanitizer(window);
  return sanitizer(html, linkOpens);
}

/** The text of sanitised HTML; a template's content is inert (nothing loads, nothing runs). */
function textOf(html: string): string {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content.textContent;
}

/**
 * The text of sanitised HTML with a line break between blocks (paragraphs, list items, rows...):
 * for showing text as text, where `textOf` runs paragraphs together ("budget.It closes").
 */
function textInLines(html: string): string {
  const template = document.createElement('template');
  template.innerHTML = html;
  let out = '';
  const breakLine = () => {
    if (out !== '' && !out.endsWith('\n')) out += '\n';
  };
  const walk = (node: Node): void => {
    if (node.nodeType === Node.TEXT_NODE) {
      out += node.textContent ?? '';
      return;
    }
    const name = node instanceof Element ? node.localName : '';
    if (name === 'br') {
      out += '\n';
      return;
    }
    const block = BLOCK_ELEMENTS.has(name);
    if (block) breakLine();
    node.childNodes.forEach(walk);
    if (block) breakLine();
  };
  walk(template.content);
  return out.replace(/[ \t]*\n\s*/g, '\n').trim();
}

/**
 * The sanitised body of `rawHtml`, its text (what marks anchor to) and the same text in lines
 * (for showing it as text); computed once per body and policy.
 */
export function useBodyText(rawHtml: string): {
  readonly html: string;
  readonly text: string;
  readonly lines: string;
} {
  // The words beside each link say whether the organisation's policy lets it open; until the
  // settings arrive, none does.
  const linkTargets = useConfig()?.allowedLinkTargets;
  return useMemo(() => {
    const html = sanitize(rawHtml, (href) => linkDecision(href, linkTargets ?? []).allowed);
    return { html, text: textOf(html), lines: textInLines(html) };
  }, [rawHtml, linkTargets]);
}
