import { describe, expect, it } from 'vitest';
import {
  SIGN_IN_ERROR_PAGE,
  SIGN_IN_SUCCESS_PAGE,
} from '../../../src/main/auth/completion-pages.js';

const pages = { success: SIGN_IN_SUCCESS_PAGE, error: SIGN_IN_ERROR_PAGE };

describe('pages the browser shows when sign-in returns to Attaché', () => {
  it('tells the person they are signed in and may close the tab', () => {
    expect(SIGN_IN_SUCCESS_PAGE).toContain('<h1>You’re signed in to Attaché</h1>');
    expect(SIGN_IN_SUCCESS_PAGE).toContain('You can close this tab.');
  });

  it('on failure, says what to do next', () => {
    expect(SIGN_IN_ERROR_PAGE).toContain('<h1>Attaché could not sign you in</h1>');
    expect(SIGN_IN_ERROR_PAGE).toContain('choose Sign in to try again');
  });

  it.each(Object.entries(pages))(
    'the %s page is one self-contained document that loads and runs nothing',
    (_, html) => {
      // msal-node's listener sends no Content-Type: the doctype makes browsers render HTML,
      // the meta charset makes "é" survive.
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain('<meta charset="utf-8">');
      expect(html).toContain(
        `content="default-src 'none'; style-src 'unsafe-inline'; font-src data:"`,
      );
      // The one url() is the reader's typeface, inside the page.
      const urls = [...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1] ?? '');
      expect(urls).toHaveLength(1);
      expect(urls[0]).toMatch(/^data:font\/woff2;base64,[A-Za-z0-9+/=]{40000,}$/);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|@import|https?:\/\//i);
    },
  );
});
