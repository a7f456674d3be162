// The reader's own sanitising pass over briefing HTML. The fan-out sanitised it already; this
// pass assumes it did not (defence in depth: a compromised server or a bug upstream must still
// not run code, load anything, submit anything or navigate anywhere from a briefing).
//
// An allow-list of document tags and attributes only: no scripts, styles, forms, frames,
// embeds, SVG or MathML; no event handlers, `style`, `class`, `id` (which could restyle or
// impersonate the reader's own interface) or ARIA/role attributes (which could lie to screen
// readers). Links keep their text but lose their target; images survive only as inline data.
import DOMPurify, { type Config, type WindowLike } from 'dompurify';

const ALLOWED_TAGS = [
  'a', 'abbr', 'article', 'aside', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'col',
  'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure',
  'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li',
  'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strong', 'sub',
  'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'u', 'ul',
]; // prettier-ignore

const ALLOWED_ATTR = [
  'abbr', 'alt', 'colspan', 'datetime', 'dir', 'headers', 'height', 'href', 'lang', 'reversed',
  'rowspan', 'scope', 'span', 'src', 'start', 'title', 'type', 'width',
]; // prettier-ignore

/** Raster images only: SVG can carry script and external references. */
const INLINE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|avif);base64,[a-z0-9+/=\s]+$/i;

export const INERT_LINK_CLASS = 'briefing-link';
/** Where an inert link's address is kept, for the reader to ask main whether policy allows it. */
export const LINK_TARGET_ATTRIBUTE = 'data-link-target';
/** The address an inert link pointed to, shown after it in words: a hover title alone reaches
 * neither the keyboard nor a touch screen. */
export const LINK_ADDRESS_CLASS = 'briefing-link__address';
/** Addresses longer than this are shortened in the text (a query string can run to kilobytes). */
const MAX_SHOWN_ADDRESS = 200;
/** Table cells that hold a figure: set in tabular figures so that the digits line up. */
export const NUMBER_CELL_CLASS = 'briefing-number';

/**
 * A figure, perhaps signed, bracketed, in a currency or with a unit of scale: "2,075", "26.3",
 * "−1.5%", "($4.2m)", "+1 100", "$640 million". Tabular figures are for these only: in running
 * text they widen hyphens and punctuation ("Long‑range" would read "Long - range").
 */
const FIGURE =
  /^[([]?[+\-−–]?\s?(?:[A-Z]{0,3}\$|[€£¥])?\s?\d[\d\s.,'’\u202f]*(?:%|pp|[kmb]n?|bn|thousand|million|billion)?[)\]]?$/iu;

export function isFigure(text: string): boolean {
  return FIGURE.test(text.trim());
}

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // Dropped with everything inside them, not unwrapped into visible text.
  FORBID_CONTENTS: ['script', 'style', 'template', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math', 'select', 'option', 'textarea', 'button', 'title'], // prettier-ignore
  WHOLE_DOCUMENT: false,
  SANITIZE_DOM: true,
};

/**
 * Whether the organisation's policy lets a link's address open (shared/link-policy.ts, over the
 * device's AllowedLinkTargets). The words after each link follow it; main decides again on click.
 */
export type LinkOpens = (href: string) => boolean;

/** Sanitises briefing HTML; with no `linkOpens`, every link is said not to open. */
export type BriefingSanitizer = (html: string, linkOpens?: LinkOpens) => string;

/** Builds a sanitizer bound to one window (the renderer's, or a jsdom window in tests). */
export function createBriefingSanitizer(win: WindowLike): BriefingSanitizer {
  const purify = DOMPurify(win);
  /** Each inert link's address, for the words added after it once sanitising is done. */
  const addresses = new WeakMap<Element, string>();
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      // Links never navigate the reader: the address is kept aside (a click asks main whether
      // the organisation's policy lets it open in the system browser) and said after the words.
      const href = node.getAttribute('href');
      node.removeAttribute('href');
      if (href) {
        node.setAttribute(LINK_TARGET_ATTRIBUTE, href);
        node.setAttribute('tabindex', '0');
        node.setAttribute('role', 'link');
        addresses.set(node, href.trim());
      }
      node.setAttribute('class', INERT_LINK_CLASS);
    } else if (node.nodeName === 'IMG') {
      const src = node.getAttribute('src') ?? '';
      if (!INLINE_IMAGE.test(src)) node.removeAttribute('src');
      node.setAttribute('loading', 'lazy');
      node.setAttribute('decoding', 'async');
    } else if (node.nodeName === 'TD' || node.nodeName === 'TH') {
      // Runs before the cell's children are sanitised: at worst a cell whose text includes
      // something removed afterwards is not set in tabular figures.
      if (isFigure(node.textContent ?? '')) node.setAttribute('class', NUMBER_CELL_CLASS);
    }
  });
  return (html, linkOpens = () => false) => {
    const fragment = purify.sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true });
    const document = fragment.ownerDocument;
    for (const link of fragment.querySelectorAll(`a.${INERT_LINK_CLASS}`)) {
      const href = addresses.get(link);
      if (!href) continue;
      // Added after sanitising, as text: nothing in the address can become markup.
      const shown = href.length > MAX_SHOWN_ADDRESS ? `${href.slice(0, MAX_SHOWN_ADDRESS)}…` : href;
      const opens = linkOpens(href);
      link.setAttribute(
        'title',
        opens
          ? `Opens in your browser after you confirm: ${href}`
          : `Link not available in Attaché: ${href}`,
      );
      const note = document.createElement('span');
      note.setAttribute('class', LINK_ADDRESS_CLASS);
      note.textContent = opens
        ? ` (opens in your browser after you confirm: ${shown})`
        : ` (link not opened in Attaché: ${shown})`;
      link.after(note);
    }
    const container = document.createElement('div');
    container.append(fragment);
    return container.innerHTML;
  };
}
