// The sign-in state machine and the token provider it gives the sync service, driven with a
// scripted identity provider, an in-memory keychain and a hand-moved clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthSession } from '../../../src/main/auth/auth-session.js';
import { createAuthSession } from '../../../src/main/auth/auth-session.js';
import { DAY_MS, offlinePolicy } from '../../../src/main/auth/offline-policy.js';
import { createSessionRecordStore } from '../../../src/main/auth/session-record.js';
import { AuthError } from '../../../src/main/auth/types.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import {
  ALEX,
  SAM,
  SIGN_IN_PAGE,
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
  until,
} from './auth-doubles.js';
import { memoryLogger } from './fixtures.js';

const T0 = Date.parse('2025-03-01T09:00:00Z');

function setup(
  options: {
    signInTimeoutMs?: number;
    openBrowser?: (url: string) => Promise<void>;
    signInPage?: string;
  } = {},
) {
  const clock = { now: T0 };
  const now = () => clock.now;
  const keychain = createInMemoryKeychainTestDouble();
  const { identity, script } = createScriptedIdentity({
    keychain,
    now,
    ...(options.signInPage ? { signInPage: options.signInPage } : {}),
  });
  const log = memoryLogger();
  const records = createSessionRecordStore(keychain, log.logger);
  const opened: string[] = [];
  const session = createAuthSession({
    identity,
    records,
    policy: offlinePolicy(14),
    openBrowser:
      options.openBrowser ??
      ((url) => {
        opened.push(url);
        return Promise.resolve();
      }),
    logger: log.logger,
    signInTimeoutMs: options.signInTimeoutMs ?? 60_000,
    checkIntervalMs: 10,
    historyWriteIntervalMs: 0,
    now,
  });
  sessions.push(session);
  return { clock, keychain, script, identity, session, records, opened, log };
}

const sessions: AuthSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.stop();
});

async function signedIn(env: ReturnType<typeof setup>, account = ALEX): Promise<void> {
  await env.session.start();
  env.session.signIn();
  await until('the browser to open', () => env.script.pending !== null);
  env.script.pending?.complete(account);
  await until('signed in', () => env.session.snapshot().state === 'signed-in');
}

describe('auth session', () => {
  it('starts signed out on a device nobody signed in on, and gives sync no token', async () => {
    const env = setup();
    await env.session.start();
    expect(env.session.snapshot()).toMatchObject({
      state: 'signed-out',
      account: null,
      attempt: { phase: 'idle' },
    });
    expect(await env.session.tokenProvider.getAccessToken()).toBeNull();
  });

  it('signs in through the browser, remembers the account in the keychain, and hands sync a token', async () => {
    const env = setup();
    await env.session.start();
    env.session.signIn();
    await until('the browser to open', () => env.opened.length === 1);
    expect(env.opened).toEqual([SIGN_IN_PAGE]);
    expect(env.session.snapshot().attempt).toEqual({ phase: 'waiting', url: SIGN_IN_PAGE });
    // Nobody signed in here yet: the provider must ask for credentials.
    expect(env.script.pending).toMatchObject({ freshLogin: true, loginHint: undefined });

    env.script.pending?.complete(ALEX);
    await until('signed in', () => env.session.snapshot().state === 'signed-in');
    expect(env.session.snapshot()).toMatchObject({
      account: ALEX,
      signInNeeded: false,
      attempt: { phase: 'idle' },
      offlineAccessUntil: T0 + 14 * DAY_MS,
    });
    expect(await env.records.read()).toEqual({
      account: ALEX,
      history: { lastOnlineAt: T0, lastSeenAt: T0 },
    });
    const token = await env.session.tokenProvider.getAccessToken();
    expect(token).toBe(env.script.issued[0]);
  });

  it('ignores a second Sign in while one is waiting', async () => {
    const env = setup();
    await env.session.start();
    env.session.signIn();
    env.session.signIn();
    // Counted, not timed: a sign-in that went ahead would have asked the provider already.
    expect(env.script.interactiveCalls).toBe(1);
    await until('the browser to open', () => env.opened.length === 1);
    expect(env.opened).toHaveLength(1);
    expect(env.script.interactiveCalls).toBe(1);
  });

  it('cancels a waiting sign-in: back to idle, nothing stored', async () => {
    const env = setup();
    await env.session.start();
    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    env.session.cancelSignIn();
    expect(env.session.snapshot()).toMatchObject({
      state: 'signed-out',
      attempt: { phase: 'idle' },
    });
    await until('the provider call to end', () => env.script.pending === null);
    expect(env.keychain.entries.size).toBe(0);
  });

  it('gives up on a sign-in nobody finishes, with a message a person can act on', async () => {
    const env = setup({ signInTimeoutMs: 50 });
    await env.session.start();
    env.session.signIn();
    await until('failed', () => env.session.snapshot().attempt.phase === 'failed');
    const attempt = env.session.snapshot().attempt;
    expect(attempt).toMatchObject({ phase: 'failed', failure: 'timed-out' });
    expect(attempt.phase === 'failed' && attempt.message).toMatch(/try again/i);
    expect(env.script.pending).toBeNull();
  });

  it('says calmly that the person cancelled on the provider’s page, and changes nothing', async () => {
    const env = setup();
    await env.session.start();
    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    env.script.pending?.fail(new AuthError('declined', 'access_denied'));
    await until('failed', () => env.session.snapshot().attempt.phase === 'failed');
    expect(env.session.snapshot()).toMatchObject({
      state: 'signed-out',
      attempt: {
        failure: 'declined',
        message:
          'You cancelled the sign-in on the sign-in page, so nothing changed. Select Sign in when you want to continue.',
      },
    });
    expect(env.keychain.entries.size).toBe(0);
  });

  it('explains an unreachable provider in plain words', async () => {
    const env = setup();
    env.script.online = false;
    await env.session.start();
    env.session.signIn();
    await until('failed', () => env.session.snapshot().attempt.phase === 'failed');
    expect(env.session.snapshot().attempt).toMatchObject({
      failure: 'unreachable',
      message: expect.stringMatching(/network connection/) as unknown,
    });
  });

  it('refuses a sign-in page that is not https (it would be handed to the OS)', async () => {
    const env = setup({ signInPage: 'file:///etc/passwd' });
    await env.session.start();
    env.session.signIn();
    await until('failed', () => env.session.snapshot().attempt.phase === 'failed');
    expect(env.opened).toEqual([]);
  });

  it('opens offline for a person who signed in before, within the offline period', async () => {
    const env = setup();
    await env.records.write({ account: ALEX, history: { lastOnlineAt: T0, lastSeenAt: T0 } });
    env.clock.now = T0 + 3 * DAY_MS;
    env.script.online = false;
    await env.session.start();
    expect(env.session.snapshot()).toMatchObject({
      state: 'signed-in',
      account: ALEX,
      offlineAccessUntil: T0 + 14 * DAY_MS,
    });
    // No token offline: sync reports "offline", not "sign in".
    await expect(env.session.tokenProvider.getAccessToken()).rejects.toThrow(AuthError);
    expect(env.session.snapshot().signInNeeded).toBe(false);
  });

  it('locks the reader after the offline period, and unlocks it when a silent renewal succeeds', async () => {
    const env = setup();
    await env.records.write({ account: ALEX, history: { lastOnlineAt: T0, lastSeenAt: T0 } });
    env.clock.now = T0 + 15 * DAY_MS;
    env.script.online = false;
    await env.session.start();
    expect(env.session.snapshot()).toMatchObject({
      state: 'locked',
      account: ALEX,
      lockReason: 'offline-too-long',
    });
    expect(await env.session.tokenProvider.getAccessToken()).toBeNull();

    env.script.online = true;
    await until('unlocked', () => env.session.snapshot().state === 'signed-in');
    expect(env.script.silentCalls.at(-1)).toEqual({ account: 'alex.morgan', forceRefresh: true });
    expect((await env.records.read())?.history.lastOnlineAt).toBe(T0 + 15 * DAY_MS);
  });

  it('locks a running reader when the offline period runs out', async () => {
    const env = setup();
    await signedIn(env);
    env.script.online = false;
    env.clock.now = T0 + 14 * DAY_MS + 1;
    await until('locked', () => env.session.snapshot().state === 'locked');
    expect(env.session.snapshot().lockReason).toBe('offline-too-long');
  });

  it('locks the reader when the clock is turned back', async () => {
    const env = setup();
    await env.records.write({
      account: ALEX,
      history: { lastOnlineAt: T0, lastSeenAt: T0 + 10 * DAY_MS },
    });
    env.script.online = false;
    await env.session.start();
    expect(env.session.snapshot()).toMatchObject({
      state: 'locked',
      lockReason: 'clock-moved-back',
    });
  });

  it('keeps the offline period running from the last contact with the broker', async () => {
    const env = setup();
    await signedIn(env);
    env.clock.now = T0 + 10 * DAY_MS;
    env.session.noteServerContact();
    await until('recorded', () => env.session.snapshot().offlineAccessUntil === T0 + 24 * DAY_MS);
    expect((await env.records.read())?.history.lastOnlineAt).toBe(T0 + 10 * DAY_MS);
  });

  it('holds the token in memory, and renews for real after the broker refused a token', async () => {
    const env = setup();
    await signedIn(env);
    const first = await env.session.tokenProvider.getAccessToken();
    expect(first).toBe(env.script.issued[0]);
    // The token from the interactive sign-in itself: no keychain or provider round trip.
    expect(await env.session.tokenProvider.getAccessToken()).toBe(first);
    expect(env.script.silentCalls).toEqual([]);
    env.session.tokenProvider.invalidate?.();
    const renewed = await env.session.tokenProvider.getAccessToken();
    expect(renewed).not.toBe(first);
    expect(env.script.silentCalls).toEqual([{ account: 'alex.morgan', forceRefresh: true }]);
  });

  it('asks msal again shortly before the token expires, and shares one request among callers', async () => {
    const env = setup();
    await signedIn(env);
    env.clock.now = T0 + 55 * 60_000;
    const [a, b] = await Promise.all([
      env.session.tokenProvider.getAccessToken(),
      env.session.tokenProvider.getAccessToken(),
    ]);
    expect(a).toBe(b);
    expect(env.script.silentCalls).toEqual([{ account: 'alex.morgan', forceRefresh: false }]);
  });

  it('never renews twice at once: a forced renewal waits for the one under way', async () => {
    const env = setup();
    await signedIn(env);
    // Two renewals at once would present one refresh token twice (a replay to the provider).
    const original = env.identity.acquireSilent.bind(env.identity);
    let active = 0;
    let most = 0;
    (env.identity as { acquireSilent: typeof original }).acquireSilent = async (account, opts) => {
      active += 1;
      most = Math.max(most, active);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return await original(account, opts);
      } finally {
        active -= 1;
      }
    };
    env.clock.now = T0 + 55 * 60_000;
    const plain = env.session.tokenProvider.getAccessToken();
    env.session.tokenProvider.invalidate?.(); // sync was refused (401) meanwhile
    const forced = env.session.tokenProvider.getAccessToken();
    const [a, b] = await Promise.all([plain, forced]);
    expect(most).toBe(1);
    expect(env.script.silentCalls.map((call) => call.forceRefresh)).toEqual([false, true]);
    expect(a).toMatch(/^access-token-alex/);
    expect(b).toMatch(/^access-token-alex/);
    expect(b).not.toBe(a);
  });

  it('turns a refused renewal (invalid_grant) into "sign in needed", and a new sign-in clears it', async () => {
    const env = setup();
    await signedIn(env);
    env.script.refreshValid = false;
    env.session.tokenProvider.invalidate?.();
    expect(await env.session.tokenProvider.getAccessToken()).toBeNull();
    expect(env.session.snapshot()).toMatchObject({ state: 'signed-in', signInNeeded: true });
    // Briefings stay open meanwhile; no more calls to the provider until the person acts.
    const calls = env.script.silentCalls.length;
    expect(await env.session.tokenProvider.getAccessToken()).toBeNull();
    expect(env.script.silentCalls).toHaveLength(calls);

    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    expect(env.script.pending?.loginHint).toBe(ALEX.username);
    expect(env.script.pending?.freshLogin).toBe(false); // the same person: the provider's policy
    env.script.pending?.complete(ALEX);
    await until('renewed', () => !env.session.snapshot().signInNeeded);
    expect(await env.session.tokenProvider.getAccessToken()).toMatch(/^access-token-alex/);
  });

  it('signs out: tokens and account gone from the keychain, no token for sync', async () => {
    const env = setup();
    await signedIn(env);
    expect(env.keychain.entries.has(SECRET_NAMES.msalTokenCache)).toBe(true);
    expect(env.keychain.entries.has(SECRET_NAMES.session)).toBe(true);
    await env.session.signOut();
    expect(env.session.snapshot()).toMatchObject({ state: 'signed-out', account: null });
    expect(env.keychain.entries.size).toBe(0);
    expect(env.script.forgotten).toEqual(['alex.morgan']);
    expect(await env.session.tokenProvider.getAccessToken()).toBeNull();

    // Whoever signs in next proves who they are, whatever session the browser still holds.
    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    expect(env.script.pending).toMatchObject({ freshLogin: true, loginHint: undefined });
  });

  it('signs out while a sign-in is waiting, and that sign-in can no longer land', async () => {
    const env = setup();
    await env.session.start();
    // The provider's answer can arrive after the sign-out (the browser's redirect lands as the
    // person signs out): this provider ignores the abort, so the late grant reaches the session.
    const interactive = env.identity.signInInteractive.bind(env.identity);
    (env.identity as { signInInteractive: typeof interactive }).signInInteractive = (request) =>
      interactive({ ...request, signal: new AbortController().signal });
    const accounts: (string | null)[] = [];
    env.session.onChange((snapshot) => accounts.push(snapshot.account?.userId ?? null));
    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    const late = env.script.pending;
    await env.session.signOut();
    late?.complete(ALEX);

    // Waits on the next sign-in instead of a pause: the late grant is handed over before that
    // sign-in starts, so had it landed, Alex would be among the accounts the session showed and
    // would be forgotten when Sam signed in.
    env.session.signIn();
    await until('the browser to open again', () => env.script.pending !== null);
    env.script.pending?.complete(SAM);
    await until('signed in', () => env.session.snapshot().state === 'signed-in');
    expect(env.session.snapshot().account).toEqual(SAM);
    expect(accounts).not.toContain('alex.morgan');
    expect(env.script.forgotten).toEqual([]);
  });

  it('forgets the previous person when someone else signs in', async () => {
    const env = setup();
    await signedIn(env, ALEX);
    env.session.signIn();
    await until('the browser to open', () => env.script.pending !== null);
    env.script.pending?.complete(SAM);
    await until('switched', () => env.session.snapshot().account?.userId === 'sam.taylor');
    expect(env.script.forgotten).toEqual(['alex.morgan']);
    expect((await env.records.read())?.account).toEqual(SAM);
  });
});
