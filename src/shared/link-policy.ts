// Which links in a briefing may open, and why the others may not, in words a person reads on
// click. A link opens only in the system browser, only over https, and only to an address that
// starts with one the organisation allowed (AllowedLinkTargets). Pure and shared: main decides
// (the reader asks on click), and decides again when asked to open, then hands the address to
// the briefing links' own opener (windows/external-links.ts), so a reader cannot open what policy
// refuses; the reader uses the same decision only to say beside each link whether it opens.
export type LinkDecision =
  | { readonly allowed: true; readonly url: string }
  | { readonly allowed: false; readonly reason: string };

function parse(target: string): URL | null {
  try {
    return new URL(target);
  } catch {
    return null;
  }
}

/** `prefix` covers `url`: same origin, and the path starts at a segment boundary. */
function covers(prefix: URL, url: URL): boolean {
  if (prefix.origin !== url.origin) return false;
  const base = prefix.pathname;
  if (base === '/' || base === '') return true;
  if (base.endsWith('/')) return url.pathname.startsWith(base);
  return url.pathname === base || url.pathname.startsWith(`${base}/`);
}

export function linkDecision(target: string, allowedTargets: readonly string[]): LinkDecision {
  const url = parse(target.trim());
  if (!url) {
    return { allowed: false, reason: 'This link is not a web address, so Attaché cannot open it.' };
  }
  if (url.protocol === 'http:') {
    return {
      allowed: false,
      reason: `This link to ${url.host} is not secure (http), so Attaché does not open it.`,
    };
  }
  if (url.protocol !== 'https:') {
    return {
      allowed: false,
      reason: `Attaché opens only web links; this one is a ${url.protocol} link.`,
    };
  }
  // Credentials in an address are a classic way to dress one host up as another.
  if (url.username || url.password) {
    return {
      allowed: false,
      reason:
        'This link carries a user name or password in its address, so Attaché does not open it.',
    };
  }
  if (allowedTargets.length === 0) {
    return {
      allowed: false,
      reason: 'Your organisation does not allow links in briefings to be opened from Attaché.',
    };
  }
  const allowed = allowedTargets
    .map(parse)
    .some((prefix) => prefix !== null && covers(prefix, url));
  if (!allowed) {
    return {
      allowed: false,
      reason: `Your organisation does not allow Attaché to open links to ${url.host}${url.pathname === '/' ? '' : url.pathname}.`,
    };
  }
  // What the system browser receives is the parsed form, so it cannot read the address otherwise.
  return { allowed: true, url: url.href };
}
