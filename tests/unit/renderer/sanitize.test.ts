import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import {
  createBriefingSanitizer,
  INERT_LINK_CLASS,
  LINK_ADDRESS_CLASS,
  LINK_TARGET_ATTRIBUTE,
  isFigure,
  NUMBER_CELL_CLASS,
  type LinkOpens,
} from '../../../src/renderer/src/briefing-body/sanitize.js';
import { linkDecision } from '../../../src/shared/link-policy.js';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
const sanitize = createBriefingSanitizer(window);

function parse(html: string, linkOpens?: LinkOpens) {
  const template = window.document.createElement('template');
  template.innerHTML = sanitize(html, linkOpens);
  return template.content;
}

describe('briefing HTML sanitising in the reader', () => {
  it('keeps the document structure a briefing needs', () => {
    const html =
      '<h2>Background</h2><p>Text with <strong>bold</strong>, <em>emphasis</em>.</p><ul><li>One</li></ul>' +
      '<table><thead><tr><th scope="col">A</th></tr></thead><tbody><tr><td colspan="2">B</td></tr></tbody></table>' +
      '<blockquote>Quote</blockquote>';
    expect(sanitize(html)).toBe(html);
  });

  it('removes scripts and styles together with their content', () => {
    const out = sanitize('<p>Safe</p><script>alert(1)</script><style>body{display:none}</style>');
    expect(out).toBe('<p>Safe</p>');
  });

  it('strips event handlers and javascript: URLs', () => {
    const fragment = parse(
      '<p onclick="alert(1)" onmouseover="x()">Hi</p><a href="javascript:alert(1)">x</a>',
    );
    const all = [...fragment.querySelectorAll('*')];
    expect(
      all.flatMap((el) => el.getAttributeNames()).filter((name) => name.startsWith('on')),
    ).toEqual([]);
    expect(fragment.querySelector('a')?.hasAttribute('href')).toBe(false);
  });

  it('removes forms, their controls, frames, objects, embeds and SVG', () => {
    const fragment = parse(
      '<form action="https://evil.example"><input name="q"><button>Send</button><select><option>o</option></select></form>' +
        '<iframe src="https://evil.example"></iframe><object data="x"></object><embed src="x">' +
        '<svg><script>alert(1)</script></svg><math><mi>x</mi></math><p>kept</p>',
    );
    for (const tag of [
      'form',
      'input',
      'button',
      'select',
      'iframe',
      'object',
      'embed',
      'svg',
      'math',
      'script',
    ]) {
      expect(fragment.querySelector(tag), tag).toBeNull();
    }
    expect(fragment.textContent).toBe('kept');
  });

  it('makes links inert but keeps their words and shows where they pointed', () => {
    const fragment = parse(
      '<p><a href="https://example.org/report" target="_blank" rel="opener">The review</a></p>',
    );
    const link = fragment.querySelector('a');
    expect(link?.textContent).toBe('The review');
    expect(link?.hasAttribute('href')).toBe(false);
    expect(link?.hasAttribute('target')).toBe(false);
    expect(link?.getAttribute('title')).toContain('https://example.org/report');
    expect(link?.getAttribute('class')).toBe(INERT_LINK_CLASS);
    // The address in words after the link, for the keyboard, touch and screen readers alike.
    expect(fragment.textContent).toBe(
      'The review (link not opened in Attaché: https://example.org/report)',
    );
    expect(link?.nextElementSibling?.getAttribute('class')).toBe(LINK_ADDRESS_CLASS);
  });

  it('says beside each link whether the organisation’s policy lets it open', () => {
    const allowed = ['https://intranet.example.gov.au/'];
    const fragment = parse(
      '<p><a href="https://intranet.example.gov.au/travel">Travel</a> and <a href="https://example.org/x">elsewhere</a></p>',
      (href) => linkDecision(href, allowed).allowed,
    );
    expect(fragment.textContent).toBe(
      'Travel (opens in your browser after you confirm: https://intranet.example.gov.au/travel) and elsewhere (link not opened in Attaché: https://example.org/x)',
    );
    const [travel, other] = [...fragment.querySelectorAll('a')];
    expect(travel?.getAttribute('title')).toBe(
      'Opens in your browser after you confirm: https://intranet.example.gov.au/travel',
    );
    expect(other?.getAttribute('title')).toBe(
      'Link not available in Attaché: https://example.org/x',
    );
    // Both still answer a click or Enter, so a refused one can say why.
    for (const link of [travel, other]) {
      expect(link?.getAttribute('role')).toBe('link');
      expect(link?.getAttribute('tabindex')).toBe('0');
      expect(link?.hasAttribute('href')).toBe(false);
    }
    expect(travel?.getAttribute(LINK_TARGET_ATTRIBUTE)).toBe(
      'https://intranet.example.gov.au/travel',
    );
  });

  it('adds a link’s address as text only, shortened, whatever it holds', () => {
    const fragment = parse(
      `<a href="https://x.test/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">a</a><a href="https://x.test/${'A'.repeat(500)}">b</a>`,
    );
    expect(fragment.querySelector('img')).toBeNull();
    const notes = [...fragment.querySelectorAll(`.${LINK_ADDRESS_CLASS}`)];
    expect(notes[0]?.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(notes[1]?.textContent?.length).toBeLessThan(260);
    expect(notes[1]?.textContent).toMatch(/…\)$/);
  });

  it('drops style, class, id, data and ARIA attributes that could restyle or impersonate the reader', () => {
    const fragment = parse(
      '<div id="briefing-title" class="classification-banner" style="position:fixed" data-x="1" role="alert" aria-hidden="true">Hi</div>',
    );
    expect(fragment.querySelector('div')?.getAttributeNames()).toEqual([]);
  });

  it('keeps inline raster images but not remote ones or SVG', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const fragment = parse(
      `<img src="${png}" alt="chart"><img src="https://evil.example/t.gif" alt="tracker"><img src="data:image/svg+xml;base64,PHN2Zz4=" alt="svg">`,
    );
    const images = [...fragment.querySelectorAll('img')];
    expect(images.map((img) => img.getAttribute('src'))).toEqual([png, null, null]);
  });

  it('is not fooled by markup that mutates when parsed again', () => {
    const out = sanitize('<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">');
    expect(out).not.toMatch(/onerror/i);
    const fragment = parse(
      '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    );
    expect([...fragment.querySelectorAll('[onerror]')]).toHaveLength(0);
  });

  it('marks table cells that hold a figure, and only those, for tabular figures', () => {
    const fragment = parse(
      '<table><tr><th>Project</th><th>2025</th></tr>' +
        '<tr><td>Long‑range strike</td><td>2,075</td></tr>' +
        '<tr><td>Q3 result</td><td>(−4.5%)</td></tr></table>',
    );
    const marked = [...fragment.querySelectorAll(`.${NUMBER_CELL_CLASS}`)].map(
      (cell) => cell.textContent,
    );
    expect(marked).toEqual(['2025', '2,075', '(−4.5%)']);
  });

  it('recognises figures in the forms briefings write them, and not words with digits', () => {
    for (const figure of ['26.3', '2,054', '+1 100', '−1.5%', '$640 million', 'A$4.2bn', '12 pp'])
      expect(isFigure(figure), figure).toBe(true);
    for (const text of ['Long-range', 'Q3', '450 GL target', 'On track', '', '2024–25 Budget'])
      expect(isFigure(text), text).toBe(false);
  });
});
