import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  isNavigationAllowed,
  isTrustedSender,
  permissionDecision,
  secureWebPreferences,
  windowOpenDecision,
} from '../../../src/main/windows/security.js';
import { resolveStaticPath } from '../../../src/main/windows/static-assets.js';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((part) => {
      const [name = '', ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('reader window web preferences', () => {
  const prefs = secureWebPreferences({ preloadPath: '/app/preload/index.cjs', devTools: false });

  it('isolates the renderer: context isolation and the sandbox on', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
  });

  it('gives the renderer no Node, in the page, its workers or sub-frames', () => {
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and refuses insecure content, webviews and experimental features', () => {
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
    expect(prefs.preload).toBe('/app/preload/index.cjs');
  });
});

describe('content security policy', () => {
  const csp = directives(CONTENT_SECURITY_POLICY);

  it("restricts everything to the app's own origin by default", () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
  });

  it('allows no eval and no inline script anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(csp.get('script-src')).toEqual(["'self'"]);
  });

  it('forbids plugins, frames, base rewriting and form posts', () => {
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });

  it('names no remote origin', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/);
  });

  it('is sent with nosniff and no referrer', () => {
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
  });
});

describe('navigation, new windows and permissions', () => {
  it('allows only the reader itself', () => {
    expect(isNavigationAllowed(APP_ENTRY_URL)).toBe(true);
    expect(isNavigationAllowed('attache://app/index.html#/briefing/1')).toBe(true);
  });

  it.each([
    'https://example.com/',
    'http://127.0.0.1:5100/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'attache://evil/index.html',
    'attache://user:pw@app/index.html',
    'not a url',
  ])('denies navigation to %s', (url) => {
    expect(isNavigationAllowed(url)).toBe(false);
  });

  it('allows the dev server only when it is named', () => {
    expect(isNavigationAllowed('http://localhost:5173/', ['http://localhost:5173'])).toBe(true);
    expect(isNavigationAllowed('http://localhost:5174/', ['http://localhost:5173'])).toBe(false);
  });

  it('denies every new window', () => {
    expect(windowOpenDecision()).toEqual({ action: 'deny' });
  });

  it.each([
    'media',
    'geolocation',
    'notifications',
    'clipboard-read',
    'openExternal',
    'fullscreen',
  ])('denies the %s permission', (permission) => {
    expect(permissionDecision(permission)).toBe(false);
  });

  it('trusts IPC only from the reader’s top frame', () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, isTopFrame: true })).toBe(true);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender({ url: undefined, isTopFrame: true })).toBe(false);
    expect(isTrustedSender({ url: 'https://example.com/', isTopFrame: true })).toBe(false);
    // A child frame on the reader's own origin is still not the reader.
    expect(isTrustedSender({ url: APP_ENTRY_URL, isTopFrame: false })).toBe(false);
  });
});

describe('static assets of the reader', () => {
  const root = resolve('/srv/reader');

  it('maps paths inside the reader folder', () => {
    expect(resolveStaticPath(root, '/')).toBe(resolve(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/app.js')).toBe(resolve(root, 'assets/app.js'));
  });

  it.each([
    '/../secret',
    '/assets/../../secret',
    '/%2e%2e/secret',
    '/..%2fsecret',
    '/a%00b',
    '/a\\..\\b',
    '/%E0%A4%A',
  ])('refuses %s', (path) => {
    expect(resolveStaticPath(root, path)).toBeNull();
  });
});
