// Who is asking: the client address of a request, as every server here records and limits it.
// Behind a load balancer the socket's peer is the balancer, so the address it forwards is
// believed, but only from the proxies the configuration names (a client can write any
// X-Forwarded-For it likes).
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy, the nearest
 * address in X-Forwarded-For that is not one (proxy-addr). `trustedProxies` are addresses,
 * CIDR ranges or proxy-addr's names (loopback, linklocal, uniquelocal); empty trusts nobody.
 */
export function createClientAddress(
  trustedProxies: readonly string[],
): (req: IncomingMessage) => string {
  const trust = trustedProxies.length > 0 ? proxyAddr.compile([...trustedProxies]) : null;
  return (req) => {
    if (!trust) return req.socket.remoteAddress ?? 'unknown';
    try {
      return proxyAddr(req, trust);
    } catch {
      // A forwarded header proxy-addr cannot parse: the peer is what is known for certain.
      return req.socket.remoteAddress ?? 'unknown';
    }
  };
}

/**
 * Who is limited as one: an IPv4 address, or an IPv6 /64 (one host usually holds a whole /64,
 * so a per-address limit would give it 2^64 budgets).
 */
export function limitKeyOf(client: string): string {
  const address = client.startsWith('::ffff:') ? client.slice(7) : client;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
