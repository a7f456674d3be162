// Access tokens the identity provider has revoked, as the broker knows them. A JWT access token
// carries its own proof, so without this the broker would accept a token until it expires even
// after the provider ended the sign-in it came from (a replayed authorization code or refresh
// token, an administrator's revocation, a logout). The broker polls the provider's list of
// revoked token ids (`jti`) and refuses those tokens: a revocation takes effect at the broker
// within one poll interval (ATTACHE_TOKEN_REVOCATION_POLL_SEC).
//
// Where the provider publishes no such list (Entra ID), short access-token lifetimes are the
// bound instead (docs/security.md). While the list cannot be fetched, the broker keeps the last
// one it had and says so in the log: refusing every token because the provider is briefly
// unreachable would turn a provider outage into a broker outage, and tokens still expire.
import type { FetchImplementation } from 'jose';
import { createLogger, describeError } from '../observability/logger.js';

const log = createLogger('broker');

/** Longest list accepted: revoked tokens live at most one access-token lifetime on it. */
const MAX_ENTRIES = 100_000;
const FETCH_TIMEOUT_MS = 5_000;

export type RevocationList = {
  /** Whether the provider listed this token id as revoked at the last successful poll. */
  isRevoked(jti: string): boolean;
  /** Fetches the list now; resolves whether it succeeded. */
  refresh(): Promise<boolean>;
  stop(): void;
};

function parseList(body: unknown): Map<string, number> {
  const entries = (body as { revoked?: unknown } | null)?.revoked;
  if (!Array.isArray(entries) || entries.length > MAX_ENTRIES) {
    throw new Error('the list is not {"revoked": [...]} of a bounded length');
  }
  const list = new Map<string, number>();
  for (const entry of entries as unknown[]) {
    const { jti, exp } = (entry ?? {}) as { jti?: unknown; exp?: unknown };
    if (typeof jti !== 'string' || typeof exp !== 'number') {
      throw new Error('an entry is not {"jti": string, "exp": number}');
    }
    list.set(jti, exp);
  }
  return list;
}

export function createRevocationList(deps: {
  readonly url: string;
  readonly fetch: FetchImplementation;
  readonly pollIntervalMs: number;
  readonly now?: () => number;
}): RevocationList {
  const now = deps.now ?? Date.now;
  let revoked = new Map<string, number>();
  let failing = false;
  let inFlight: Promise<boolean> | null = null;

  async function fetchList(): Promise<boolean> {
    try {
      const res = await deps.fetch(deps.url, {
        method: 'GET',
        headers: new Headers({ accept: 'application/json' }),
        redirect: 'manual',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
      revoked = parseList(await res.json());
      if (failing) log.info({ url: deps.url }, 'the revoked-token list is reachable again');
      failing = false;
      return true;
    } catch (error) {
      if (!failing) {
        log.warn(
          { url: deps.url, err: describeError(error) },
          'cannot fetch the revoked-token list; tokens revoked meanwhile stay usable until they expire',
        );
      }
      failing = true;
      return false;
    }
  }

  const refresh = (): Promise<boolean> => {
    inFlight ??= fetchList().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  void refresh();
  const timer = setInterval(() => void refresh(), deps.pollIntervalMs);
  timer.unref();

  return {
    isRevoked(jti) {
      const exp = revoked.get(jti);
      return exp !== undefined && exp * 1000 > now();
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
