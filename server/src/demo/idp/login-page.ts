// HTML of the development provider's pages: the sign-in form and a plain message page. Plain
// server-rendered HTML with labelled fields, one heading, an error announced by screen readers
// (role="alert", linked to the fields with aria-describedby), and styles inline under a nonce so
// the page's CSP can forbid everything else. Every interpolated value is escaped.
import { randomBytes } from 'node:crypto';

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export type Page = { readonly html: string; readonly headers: Record<string, string> };

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f4f5f7; --card: #fff; --muted: #57606a;
  --accent: #0b5cad; --accent-fg: #fff; --error: #b3261e; --border: #8c959f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --card: #161b22;
  --muted: #9da7b3; --accent: #4c9aff; --accent-fg: #0d1117; --error: #ff8a80; --border: #6e7681; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
  color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(24rem, calc(100vw - 2rem)); background: var(--card); padding: 2rem;
  border-radius: 0.5rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.25); }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
p.lead { color: var(--muted); margin: 0 0 1.5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input { width: 100%; font: inherit; padding: 0.5rem 0.75rem; border: 1px solid var(--border);
  border-radius: 0.25rem; background: var(--card); color: var(--fg); }
input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--error); border-left: 4px solid var(--error); padding: 0.25rem 0.75rem;
  margin: 0 0 1rem; font-weight: 600; }
.actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
button { font: inherit; font-weight: 600; padding: 0.5rem 1.25rem; border-radius: 0.25rem;
  cursor: pointer; border: 1px solid var(--accent); }
button.primary { background: var(--accent); color: var(--accent-fg); flex: 1; }
button.secondary { background: transparent; color: var(--accent); }
.note { color: var(--muted); font-size: 0.875rem; margin-top: 1.5rem; }
`;

function page(title: string, body: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      // The form posts to this origin, which then redirects (303) to the app's loopback address.
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self' http://localhost:* http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'`,
    },
  };
}

export function renderLoginPage(input: {
  readonly action: string;
  readonly abortAction: string;
  readonly clientName: string;
  readonly username?: string;
  readonly error?: string;
}): Page {
  const errorId = 'sign-in-error';
  const described = input.error ? ` aria-describedby="${errorId}" aria-invalid="true"` : '';
  const error = input.error
    ? `<p class="error" id="${errorId}" role="alert">${escapeHtml(input.error)}</p>`
    : '';
  return page(
    'Sign in · Attaché',
    `<h1>Sign in</h1>
<p class="lead">to ${escapeHtml(input.clientName)}</p>
${error}
<form method="post" action="${escapeHtml(input.action)}" novalidate>
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
 spellcheck="false" required value="${escapeHtml(input.username ?? '')}"${described}${input.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}${input.username ? ' autofocus' : ''}>
<div class="actions">
<button type="submit" class="primary">Sign in</button>
<button type="submit" class="secondary" formaction="${escapeHtml(input.abortAction)}" formnovalidate>Cancel</button>
</div>
</form>
<p class="note">Attaché development sign-in. Production uses your organisation's Microsoft Entra ID.</p>`,
  );
}

export function renderMessagePage(title: string, message: string): Page {
  return page(`${title} · Attaché`, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
