// The device's sign-in against the real development OpenID provider and the real gnome-keyring:
// where msal-node's loopback listener listens, how a cancel ends it, what a refresh token the
// provider no longer honours turns into, and the renewal ahead of expiry with no browser.
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import type { RunningServer } from '../../../server/src/server.js';
import { startServer } from '../../../server/src/server.js';
import type { RunningHost } from '../../../src/host/host.js';
import { startHost } from '../../../src/host/host.js';
import { AuthError } from '../../../src/main/auth/types.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import { DEV_IDP, SAMPLE_USER } from '../../../src/shared/protocol.js';
import { tempDir } from '../../unit/device/fixtures.js';
import { accepts, otherAddresses } from '../net-probes.js';
import {
  clearDeviceKeychain,
  launchBrowser,
  realDeviceAuth,
  signInThroughBrowser,
} from './device-sign-in.js';

const TIMEOUT_MS = 60_000;
const logger = createLogger('sign-in-it', () => undefined);

describe('device sign-in with the development provider', () => {
  let serverDir: Awaited<ReturnType<typeof tempDir>>;
  let deviceDir: Awaited<ReturnType<typeof tempDir>>;
  let webDir: Awaited<ReturnType<typeof tempDir>>;
  let server: RunningServer;
  let browser: Browser;
  let host: RunningHost | null = null;
  let issuer: string;
  let caFile: string;

  beforeAll(async () => {
    serverDir = await tempDir('it-idp-server');
    deviceDir = await tempDir('it-idp-device');
    webDir = await tempDir('it-idp-web');
    server = await startServer(
      parseConfig({
        dataDir: serverDir.path,
        sorPort: 0,
        brokerPort: 0,
        opsPort: 0,
        idpPort: 0,
        logLevel: 'silent',
        seedDemoData: false,
      }),
    );
    issuer = server.urls.idp ?? '';
    caFile = server.files.devCa ?? '';
    browser = await launchBrowser();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await host?.stop();
    await browser?.close();
    await clearDeviceKeychain(deviceDir.path);
    await server?.stop();
    await Promise.all([serverDir, deviceDir, webDir].map((dir) => dir?.remove()));
  }, TIMEOUT_MS);

  it(
    'listens for the redirect on 127.0.0.1 only, and a cancel closes the listener',
    async () => {
      const { identity } = await realDeviceAuth({
        dataDir: deviceDir.path,
        issuer,
        caFile,
        logger,
      });
      const controller = new AbortController();
      let port = 0;
      let probes: Record<string, boolean> = {};
      const signIn = identity.signInInteractive({
        signal: controller.signal,
        openBrowser: async (url) => {
          const page = new URL(url);
          expect(page.origin).toBe(issuer);
          const redirect = new URL(page.searchParams.get('redirect_uri') ?? '');
          expect(redirect.hostname).toBe('localhost');
          port = Number(redirect.port);
          probes = { '127.0.0.1': await accepts('127.0.0.1', port) };
          for (const address of otherAddresses()) probes[address] = await accepts(address, port);
          controller.abort(new AuthError('cancelled', 'test cancels'));
        },
      });
      const error = await signIn.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).failure).toBe('cancelled');
      expect(probes['127.0.0.1']).toBe(true);
      expect(Object.entries(probes).filter(([, open]) => open)).toEqual([['127.0.0.1', true]]);
      // msal would otherwise wait on that port forever.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await accepts('127.0.0.1', port)).toBe(false);
    },
    TIMEOUT_MS,
  );

  it(
    'asks the reader to sign in again when the provider no longer honours the refresh token',
    async () => {
      host = await startHost({
        dataDir: deviceDir.path,
        brokerUrl: server.urls.broker,
        auth: await realDeviceAuth({ dataDir: deviceDir.path, issuer, caFile, logger }),
        port: 0,
        staticDir: webDir.path,
        logger,
      });
      const running = host;
      await signInThroughBrowser(running, browser, SAMPLE_USER.id);
      expect(running.services.session()).toMatchObject({
        state: 'signed-in',
        user: { id: SAMPLE_USER.id, displayName: SAMPLE_USER.displayName },
        signInNeeded: false,
      });

      // The provider revokes the device's refresh token (as an administrator would).
      const keychain = createKeytarKeychain({ service: keychainServiceFor(deviceDir.path) });
      const cache = JSON.parse((await keychain.get(SECRET_NAMES.msalTokenCache)) ?? '{}') as {
        RefreshToken?: Record<string, { secret: string }>;
      };
      const refreshToken = Object.values(cache.RefreshToken ?? {})[0]?.secret ?? '';
      expect(refreshToken).not.toBe('');
      const ca = await readFile(caFile, 'utf8');
      const body = new URLSearchParams({
        token: refreshToken,
        token_type_hint: 'refresh_token',
        client_id: DEV_IDP.readerClientId,
      }).toString();
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          `${issuer}/token/revocation`,
          {
            method: 'POST',
            ca,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);

      // The broker refused the access token, say: sync asks for a fresh one.
      running.services.auth.tokenProvider.invalidate?.();
      expect(await running.services.auth.tokenProvider.getAccessToken()).toBeNull();
      expect(running.services.session()).toMatchObject({ state: 'signed-in', signInNeeded: true });
      // The briefings stay open; only sync waits for the person.
      expect((await running.services.dispatch('briefings:list', {})).ok).toBe(true);

      // Signing in again clears it.
      await signInThroughBrowser(running, browser, SAMPLE_USER.id);
      const deadline = Date.now() + 10_000;
      while (running.services.session().signInNeeded && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(running.services.session().signInNeeded).toBe(false);
      expect(await running.services.auth.tokenProvider.getAccessToken()).toMatch(/^eyJ/);
    },
    TIMEOUT_MS,
  );

  it(
    'renews the access token by itself a few minutes before it expires, with no browser',
    async () => {
      // Signed in by the previous test, through the real msal-node and its keychain cache.
      const running = host;
      if (!running) throw new Error('the previous test did not start the host');
      const tokens = running.services.auth.tokenProvider;
      // Sync, restarted by the sign-in, asks for tokens of its own: let it settle first, so
      // that the token read here is the one the host holds when the clock moves.
      await expect
        .poll(
          async () => {
            const status = await running.services.dispatch('sync:status', {});
            return status.ok ? (status.value as { state: string }).state : null;
          },
          { timeout: 20_000 },
        )
        .toBe('up-to-date');
      const first = (await tokens.getAccessToken()) ?? '';
      const firstExpiry = (decodeJwt(first).exp ?? 0) * 1000;
      expect(firstExpiry).toBeGreaterThan(Date.now());
      // Asked again well before expiry: the same token, no trip to the provider.
      expect(await tokens.getAccessToken()).toBe(first);

      const refreshGrants = async () =>
        (await readFile(server.files.auditLog, 'utf8'))
          .split('\n')
          .filter(
            (line) =>
              line.includes('"action":"idp.token"') &&
              line.includes(`"user":"${SAMPLE_USER.id}"`) &&
              line.includes('"decision":"allowed"') &&
              line.includes('"grantType":"refresh_token"'),
          ).length;
      const grantsBefore = await refreshGrants();
      let browserOpened = false;
      const off = running.services.events.subscribe((name) => {
        if (name === 'session:open-browser') browserOpened = true;
      });
      // Four minutes before that token expires (the provider, msal and the host share this
      // process's clock; TLS checks use the system's, untouched).
      vi.useFakeTimers({
        toFake: ['Date'],
        shouldAdvanceTime: true,
        now: firstExpiry - 4 * 60_000,
      });
      try {
        const renewed = (await tokens.getAccessToken()) ?? '';
        expect(renewed).toMatch(/^eyJ/);
        expect(renewed).not.toBe(first);
        expect((decodeJwt(renewed).exp ?? 0) * 1000).toBeGreaterThan(firstExpiry);
        // The audit trail is written asynchronously: wait for the grant's record to land.
        await expect.poll(refreshGrants, { timeout: 5_000 }).toBe(grantsBefore + 1);
        expect(browserOpened).toBe(false);
        expect(running.services.session()).toMatchObject({
          state: 'signed-in',
          signInNeeded: false,
        });
      } finally {
        vi.useRealTimers();
        off();
      }
    },
    TIMEOUT_MS,
  );
});
