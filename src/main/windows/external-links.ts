// What the app may hand to the operating system to open (Electron's shell.openExternal gives
// the URL to whatever program the OS has for it). Every caller has its own allow-list, so a
// new caller cannot widen another's: the sign-in page may only go to the configured identity
// provider over https; briefing links only over https to the hosts of the organisation's
// AllowedLinkTargets (the finer decision, by address prefix, is shared/link-policy.ts, made
// before the opener is asked). Pure, so each decision is unit-tested under Node.

export type ExternalLinkPolicy = {
  /** Who opens links under this policy, for the log when one is refused. */
  readonly purpose: string;
  /** URL schemes with their colon, e.g. `https:`. */
  readonly schemes: readonly string[];
  /** Exact `host[:port]` values, as WHATWG URL's `host` gives them (default ports dropped). */
  readonly hosts: readonly string[];
};

export type ExternalLinkDecision =
  | { readonly allowed: true; readonly url: string }
  | { readonly allowed: false; readonly reason: string };

/** The sign-in page: https, on the configured authority's host and port only. */
export function signInLinkPolicy(authority: string): ExternalLinkPolicy {
  const host = new URL(authority).host.toLowerCase();
  return { purpose: 'sign-in', schemes: ['https:'], hosts: [host] };
}

/**
 * Briefing links: https, on the hosts of the organisation's allowed link targets only (none: no
 * host, so nothing opens). Built from the policy in force when a link is opened, so a policy that
 * was narrowed since the briefing was shown narrows this list too.
 */
export function briefingLinkPolicy(allowedTargets: readonly string[]): ExternalLinkPolicy {
  const hosts = new Set<string>();
  for (const target of allowedTargets) {
    try {
      const url = new URL(target);
      if (url.protocol === 'https:') hosts.add(url.host.toLowerCase());
    } catch {
      // Not an address: the schema reports it; it allows nothing here.
    }
  }
  return { purpose: 'briefing link', schemes: ['https:'], hosts: [...hosts] };
}

export function externalLinkDecision(
  target: string,
  policy: ExternalLinkPolicy,
): ExternalLinkDecision {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { allowed: false, reason: 'not a URL' };
  }
  if (!policy.schemes.includes(url.protocol)) return { allowed: false, reason: 'scheme' };
  // Credentials in a URL are a classic way to dress one host up as another.
  if (url.username || url.password) return { allowed: false, reason: 'credentials' };
  if (!policy.hosts.includes(url.host.toLowerCase())) return { allowed: false, reason: 'host' };
  // What the OS receives is the parsed form, so it cannot read the address differently.
  return { allowed: true, url: url.href };
}

export const EXTERNAL_LINK_REFUSED = 'external-link-refused';

export class ExternalLinkRefusedError extends Error {
  override readonly name = 'ExternalLinkRefusedError';
  readonly code = EXTERNAL_LINK_REFUSED;
  constructor(purpose: string) {
    super(
      `Attaché did not open a ${purpose} address that is not on its list of allowed addresses.`,
    );
  }
}
