// The pages the person's browser shows when the provider hands sign-in back to Attaché: msal-node's
// loopback listener answers the redirect with one of these (successTemplate / errorTemplate).
//
// Self-contained on purpose: the listener serves this one response and closes, so the page can
// load nothing else (no images or scripts; the CSP says so). It mirrors the reader's sign-in
// card: the same tokens (tokens.css), the brand mark, one sentence on what to do next, and the
// reader's own typeface, Inter, carried inside the page (its Latin subset, about 48 KB): with
// nothing to load, the system font stood in and the heading wrapped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const BRIEFCASE = `<svg viewBox="0 0 24 24" width="26" height="26" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 12h.01"/><path d="M16 6V4a2 2 0 0 0-2-2h-4a2 2 0 0 0-2 2v2"/><path d="M22 13a18.15 18.15 0 0 1-20 0"/><rect width="20" height="14" x="2" y="6" rx="2"/></svg>`;
const CHECK = `<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2.25" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="10"/><path d="m16 9-5.5 5.5L8 12"/></svg>`;
const CROSS = `<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2.25" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="10"/><path d="m15 9-6 6"/><path d="m9 9 6 6"/></svg>`;

/** The reader's typeface as a data: URL, or null where the package is missing (system font). */
function interFontUrl(): string | null {
  try {
    const file = createRequire(import.meta.url).resolve(
      '@fontsource-variable/inter/files/inter-latin-wght-normal.woff2',
    );
    return `data:font/woff2;base64,${readFileSync(file).toString('base64')}`;
  } catch {
    return null;
  }
}
const INTER = interFontUrl();
const FONT_FACE = INTER
  ? `@font-face{font-family:'Inter Variable';font-style:normal;font-weight:100 900;font-display:block;src:url(${INTER}) format('woff2')}`
  : '';

const STYLE = `${FONT_FACE}
:root{color-scheme:light dark;
--bg:light-dark(#f3f4f6,#0d1016);--card:light-dark(#fff,#1a1f28);--border:light-dark(#e1e4e9,#252c37);
--text:light-dark(#0a0c10,#f6f7f9);--muted:light-dark(#59616d,#9ba4b1);
--good:light-dark(#1e7a46,#6fd49a);--good-soft:light-dark(#e5f4ea,#15301f);
--danger:light-dark(#b3261e,#ff8f86);--danger-soft:light-dark(#fdecea,#3a1917);
--shadow:0 4px 12px light-dark(rgb(16 24 40/.08),rgb(0 0 0/.45)),0 1px 3px light-dark(rgb(16 24 40/.06),rgb(0 0 0/.3))}
*{box-sizing:border-box}
body{display:grid;place-items:center;min-height:100vh;margin:0;padding:2rem 1rem;background:var(--bg);color:var(--text);
font:16px/1.5 'Inter Variable','Segoe UI',system-ui,-apple-system,'Helvetica Neue',Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{display:flex;flex-direction:column;align-items:center;gap:1rem;width:min(30rem,100%);padding:2.5rem 2rem 2rem;
border:1px solid var(--border);border-radius:12px;background:var(--card);box-shadow:var(--shadow);text-align:center}
.mark{display:inline-flex;align-items:center;justify-content:center;width:3.25rem;height:3.25rem;border-radius:12px;
background:linear-gradient(155deg,#2a63ad,#163e74);color:#fff;box-shadow:0 1px 2px rgb(16 24 40/.06)}
.state{display:inline-flex;align-items:center;gap:.375rem;padding:.25rem .75rem;border-radius:999px;font-size:.8125rem;font-weight:650}
.state--good{background:var(--good-soft);color:var(--good)}
.state--danger{background:var(--danger-soft);color:var(--danger)}
h1{margin:0;font-size:1.5rem;font-weight:700;letter-spacing:-.015em;line-height:1.25;text-wrap:balance}
p{margin:0;font-size:.9375rem;color:var(--muted);text-wrap:pretty}
`;

function page(options: {
  readonly title: string;
  readonly state: string;
  readonly tone: 'good' | 'danger';
  readonly icon: string;
  readonly lines: readonly string[];
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:">
<title>${options.title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<span class="mark">${BRIEFCASE}</span>
<span class="state state--${options.tone}">${options.icon}${options.state}</span>
<h1>${options.title}</h1>
${options.lines.map((line) => `<p>${line}</p>`).join('\n')}
</main>
</body>
</html>`;
}

export const SIGN_IN_SUCCESS_PAGE = page({
  title: 'You’re signed in to Attaché',
  state: 'Signed in',
  tone: 'good',
  icon: CHECK,
  lines: ['You can close this tab. Attaché continues by itself.'],
});

export const SIGN_IN_ERROR_PAGE = page({
  title: 'Attaché could not sign you in',
  state: 'Not signed in',
  tone: 'danger',
  icon: CROSS,
  lines: ['Close this tab, return to Attaché and choose Sign in to try again.'],
});
