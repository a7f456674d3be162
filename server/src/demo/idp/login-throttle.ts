// Slows password guessing on the development provider's login page: after `maxFailures` wrong
// passwords for one username within `windowMs`, that username is locked for `lockMs`, whatever
// password is tried (so a locked account does not reveal a correct guess). In memory: a restart
// forgets it, which is acceptable for a development provider (Entra ID has smart lockout).
export type LoginThrottle = {
  /** Null when the username may try, else whole seconds until it may. */
  lockedFor(username: string): number | null;
  failed(username: string): void;
  succeeded(username: string): void;
};

type Attempts = { failures: number[]; lockedUntil: number };

const MAX_TRACKED = 10_000;

export function createLoginThrottle(
  options: { maxFailures?: number; windowMs?: number; lockMs?: number; now?: () => number } = {},
): LoginThrottle {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const lockMs = options.lockMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const byUser = new Map<string, Attempts>();
  const key = (username: string) => username.trim().toLowerCase().slice(0, 200);

  return {
    lockedFor(username) {
      const attempts = byUser.get(key(username));
      const left = attempts ? attempts.lockedUntil - now() : 0;
      return left > 0 ? Math.ceil(left / 1000) : null;
    },
    failed(username) {
      const t = now();
      if (byUser.size >= MAX_TRACKED) {
        for (const [k, a] of byUser) {
          if (a.lockedUntil <= t && a.failures.every((f) => t - f > windowMs)) byUser.delete(k);
        }
      }
      const attempts = byUser.get(key(username)) ?? { failures: [], lockedUntil: 0 };
      attempts.failures = [...attempts.failures.filter((f) => t - f <= windowMs), t];
      if (attempts.failures.length >= maxFailures) {
        attempts.lockedUntil = t + lockMs;
        attempts.failures = [];
      }
      byUser.set(key(username), attempts);
    },
    succeeded(username) {
      byUser.delete(key(username));
    },
  };
}
