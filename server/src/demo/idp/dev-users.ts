// The development provider's sample accounts: the demo SOR's users, so that signing in as one of
// them reaches the briefings the SOR shares with them. `sub` is the SOR's recipient id: the broker
// maps it to the user's databases. Development only; passwords are documented in server/README.md.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SAMPLE_USER } from '../../../../src/shared/protocol.js';
import { SAMPLE_COLLEAGUES } from '../sor/seed-briefings.js';

export type DevAccount = {
  /** The SOR recipient id; the token's `sub` and `preferred_username`. */
  readonly id: string;
  readonly name: string;
};

type DevAccountWithPassword = DevAccount & { readonly password: string };

const DEV_ACCOUNTS: readonly DevAccountWithPassword[] = [
  { id: SAMPLE_USER.id, name: SAMPLE_USER.displayName, password: 'attache-alex' },
  ...SAMPLE_COLLEAGUES.map((c) => ({
    id: c.id,
    name: c.displayName,
    password: `attache-${c.id.split('.')[0] ?? c.id}`,
  })),
];

/** For the README and tests: every sample account with its password. */
export function devAccountsWithPasswords(): readonly DevAccountWithPassword[] {
  return DEV_ACCOUNTS;
}

export function findDevAccount(id: string): DevAccount | null {
  const account = DEV_ACCOUNTS.find((a) => a.id === id);
  return account ? { id: account.id, name: account.name } : null;
}

const digest = (s: string) => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

/**
 * Checks a username and password. Constant time over the password (digests, so the length does
 * not leak either); an unknown user costs the same as a wrong password.
 */
export function authenticateDevAccount(username: string, password: string): DevAccount | null {
  const account = DEV_ACCOUNTS.find((a) => a.id === username.trim().toLowerCase());
  const expected = digest(account?.password ?? `no such user ${Math.random()}`);
  const match = timingSafeEqual(expected, digest(password));
  return account && match ? { id: account.id, name: account.name } : null;
}
