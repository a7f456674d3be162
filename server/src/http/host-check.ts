// DNS rebinding: a web page on a name its author controls can make that name resolve to
// 127.0.0.1 (or an internal address) and then read what a server there answers, as its own
// origin. The browser still sends the page's name in the Host header, so a server that answers
// only requests naming it by an address, `localhost`, or a name it was configured with cannot be
// read that way. The port in the header does not matter: a rebinding page reaches the real port
// under its own name, and an address is never a name anyone can rebind.
import { isIP } from 'node:net';

export type HostCheck = (hostHeader: string | undefined) => boolean;

/** The host name of a Host header value, lower-cased, without port or IPv6 brackets; null if malformed. */
export function hostNameOf(hostHeader: string): string | null {
  const value = hostHeader.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) return bracketed[1] ?? null;
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(value);
  return plain?.[1] ?? null;
}

/**
 * Accepts a Host header naming an IP address, `localhost`, or one of `names` (configured, e.g.
 * the name a monitoring system or load balancer uses). A request without one is refused: every
 * browser sends it, and so does every HTTP/1.1 client.
 */
export function createHostCheck(names: readonly string[]): HostCheck {
  const allowed = new Set([
    'localhost',
    ...names.map((n) => n.trim().toLowerCase()).filter(Boolean),
  ]);
  return (hostHeader) => {
    if (hostHeader === undefined) return false;
    const name = hostNameOf(hostHeader);
    if (name === null) return false;
    return isIP(name) !== 0 || allowed.has(name.replace(/\.$/, ''));
  };
}
