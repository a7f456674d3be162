// Configuration of the broker's limits: body size, request rate, open requests, failed
// authentications per address, the load balancers it believes, and how many returns one person
// may send through it. One documented key per entry; config-schema.ts assembles all groups.
import proxyAddr from 'proxy-addr';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { positiveInt, commaList } from './key-spec.js';

export const BROKER_KEYS = {
  brokerMaxBodyBytes: {
    env: 'ATTACHE_BROKER_MAX_BODY_BYTES',
    doc: 'Largest request body the broker accepts (413 above it).',
    schema: positiveInt.default(4 * 1024 * 1024),
  },
  brokerRateBurst: {
    env: 'ATTACHE_BROKER_RATE_BURST',
    doc: 'Requests one user may make at once through the broker (token bucket size, per broker instance).',
    schema: positiveInt.default(300),
  },
  brokerRatePerSec: {
    env: 'ATTACHE_BROKER_RATE_PER_SEC',
    doc: "Sustained requests per second per user through the broker (the bucket's refill rate); 429 with Retry-After above it.",
    schema: positiveInt.default(50),
  },
  brokerMaxOpenPerUser: {
    env: 'ATTACHE_BROKER_MAX_OPEN_PER_USER',
    doc: 'Requests one user may have open at once through the broker (live _changes feeds stay open); 429 above it.',
    schema: positiveInt.default(32),
  },
  brokerTrustedProxies: {
    env: 'ATTACHE_BROKER_TRUSTED_PROXIES',
    doc: 'Comma-separated addresses or CIDR ranges of the load balancers in front of the broker (also: loopback, linklocal, uniquelocal). Only from these is X-Forwarded-For believed for the client address (address limit, audit trail). Empty: the connecting address is the client.',
    schema: commaList((items) => {
      try {
        proxyAddr.compile(items);
        return true;
      } catch {
        return false;
      }
    }, 'expected IP addresses or CIDR ranges (e.g. 10.0.0.0/8), comma-separated').default([]),
  },
  brokerAuthFailureBurst: {
    env: 'ATTACHE_BROKER_AUTH_FAILURE_BURST',
    doc: 'Failed authentications (no, malformed or invalid token) one client address (IPv6: one /64) may have in a row before the broker answers it 429 without looking at its tokens.',
    schema: positiveInt.default(30),
  },
  brokerAuthFailuresPerMin: {
    env: 'ATTACHE_BROKER_AUTH_FAILURES_PER_MIN',
    doc: 'Failed authentications per minute a client address regains (the refill of brokerAuthFailureBurst).',
    schema: positiveInt.default(60),
  },
  returnsMaxPerHour: {
    env: 'ATTACHE_RETURNS_MAX_PER_HOUR',
    doc: "Returns (read receipts, notes) one user may send through the broker per hour: a bucket this size, refilled at this rate, so a long flight's backlog goes at once; 429 with Retry-After above it (the device sends the rest later). Per broker instance.",
    schema: positiveInt.default(5_000),
  },
  returnsMaxPerRequest: {
    env: 'ATTACHE_RETURNS_MAX_PER_REQUEST',
    doc: 'Returns one request may carry (a device sends 50 at a time); 413 above it.',
    schema: positiveInt.default(500),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const BROKER_RULES: readonly ConfigRule[] = [
  {
    key: 'returnsMaxPerRequest',
    message: 'must not exceed returnsMaxPerHour',
    holds: (c) => c.returnsMaxPerRequest <= c.returnsMaxPerHour,
  },
];
