// Sign-in through the development OpenID provider exactly as the reader does it: msal-node
// (OIDC protocol mode, authorization code + PKCE, loopback redirect) with real Chromium playing
// the system browser on the provider's login page. Then: the access token passes jose with every
// pin and opens the broker; refresh works across a provider restart and a signing-key rotation.
import fs from 'node:fs';
import https from 'node:https';
import { AxeBuilder } from '@axe-core/playwright';
import { PublicClientApplication } from '@azure/msal-node';
import type { AccountInfo, INetworkModule, NetworkResponse } from '@azure/msal-node';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrusting } from '../../../server/src/broker/jwks.js';
import { rotateIdpSigningKey } from '../../../server/src/demo/idp/signing-keys.js';
import { DEV_IDP } from '../../../src/shared/protocol.js';
import { httpsRequest, refresh, signInKeepingCode, signInWithPassword } from './idp-client.js';
import { startHarness, testConfig, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

/** How often the broker fetches the provider's revoked-token list (the bound on revocation). */
const REVOCATION_POLL_SEC = 2;
const HARNESS_OVERRIDES = { seedDemoData: false, tokenRevocationPollSec: REVOCATION_POLL_SEC };
const SCOPES = [`${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`];
const CHROMIUM = process.env['ATTACHE_CHROMIUM'] ?? '/usr/bin/chromium';

let h: Harness;
let ca: string;
let browser: Browser;
let pca: PublicClientApplication;
let account: AccountInfo;
let firstAccessToken: string;

/** msal's network client over node:https trusting the development CA (no keep-alive: restarts). */
function networkClient(): INetworkModule {
  const send = <T>(
    method: string,
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ) =>
    new Promise<NetworkResponse<T>>((resolve, reject) => {
      const req = https.request(
        url,
        { method, ca, agent: false, headers: options?.headers ?? {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers))
              if (typeof v === 'string') headers[k] = v;
            resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(text || '{}') as T });
          });
        },
      );
      req.on('error', reject);
      req.end(options?.body);
    });
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

function newClient(): PublicClientApplication {
  const issuer = h.server.urls.idp ?? '';
  return new PublicClientApplication({
    auth: {
      clientId: DEV_IDP.readerClientId,
      authority: `${issuer}/`, // msal needs the trailing slash; the issuer has none
      knownAuthorities: [new URL(issuer).host],
    },
    system: { protocolMode: 'OIDC', networkClient: networkClient() },
  });
}

async function verifyAccessToken(token: string) {
  const issuer = h.server.urls.idp ?? '';
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`), { [customFetch]: fetchTrusting(ca) });
  return jwtVerify(token, jwks, {
    issuer,
    audience: DEV_IDP.brokerAudience,
    algorithms: ['ES256'],
    typ: 'at+jwt',
  });
}

async function brokerStatus(token: string): Promise<number> {
  return (await h.broker('/db/briefings', { token })).status;
}

beforeAll(async () => {
  h = await startHarness(HARNESS_OVERRIDES);
  ca = fs.readFileSync(h.server.files.devCa ?? '', 'utf8');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  pca = newClient();
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('interactive sign-in with msal-node and the provider’s login page in Chromium', () => {
  it('shows an accessible login page, refuses a wrong password with a message, then signs in', async () => {
    // The system browser would need the development CA installed; here Chromium is told to
    // accept this provider's certificate.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page: Page = await context.newPage();
    const result = await pca.acquireTokenInteractive({
      scopes: SCOPES,
      openBrowser: async (url) => {
        expect(url.startsWith(`${h.server.urls.idp}/auth?`)).toBe(true);
        await page.goto(url);
        await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(
          true,
        );
        const axe = await new AxeBuilder({ page })
          .withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'])
          .analyze();
        expect(axe.violations.map((v) => v.id)).toEqual([]);

        await page.getByLabel('Username').fill('alex.morgan');
        await page.getByLabel('Password').fill('not-the-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await expect(page.getByRole('alert').textContent()).resolves.toContain(
          'The username or password is incorrect',
        );
        await expect(page.getByLabel('Password').getAttribute('aria-invalid')).resolves.toBe(
          'true',
        );

        await page.getByLabel('Password').fill('attache-alex');
        await page.getByRole('button', { name: 'Sign in' }).click();
      },
      successTemplate: 'Signed in. You can close this window.',
      errorTemplate: 'Sign-in failed: {{error}}',
    });
    await context.close();

    account = result.account!;
    expect(account.username).toBe('alex.morgan');
    expect(account.name).toBe('Alex Morgan');
    expect(result.idTokenClaims).toMatchObject({ sub: 'alex.morgan', aud: DEV_IDP.readerClientId });
    expect(result.scopes).toEqual(SCOPES);
    const { payload, protectedHeader } = await verifyAccessToken(result.accessToken);
    // The access token lives exactly the provider's configured lifetime: 15 minutes by default
    // (msal renews 300 s before expiry), never longer.
    const accessTtlSec = testConfig(h.dataDir, HARNESS_OVERRIDES).idpAccessTokenTtlSec;
    expect(accessTtlSec).toBe(900);
    expect(payload.exp! - payload.iat!).toBe(accessTtlSec);
    expect(Math.abs(result.expiresOn!.getTime() / 1000 - payload.exp!)).toBeLessThanOrEqual(5);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: 'alex.morgan',
      name: 'Alex Morgan',
      preferred_username: 'alex.morgan',
      client_id: DEV_IDP.readerClientId,
      scope: SCOPES[0],
    });
    expect(await brokerStatus(result.accessToken)).toBe(200);
    firstAccessToken = result.accessToken;

    const audit = fs.readFileSync(h.server.files.auditLog, 'utf8');
    expect(audit).toMatch(/"action":"idp.sign-in","user":"alex.morgan","decision":"refused"/);
    expect(audit).toMatch(/"action":"idp.sign-in","user":"alex.morgan","decision":"allowed"/);
  });

  it('renews silently with the refresh token after the provider restarted', async () => {
    await h.restart();
    const renewed = await pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    expect(renewed.accessToken).not.toBe(firstAccessToken);
    expect(decodeJwt(renewed.accessToken).sub).toBe('alex.morgan');
    expect(await brokerStatus(renewed.accessToken)).toBe(200);
  });

  it('follows a signing-key rotation: new tokens carry the new kid, older ones still verify', async () => {
    const oldKid = decodeProtectedHeader(firstAccessToken).kid;
    const newKid = rotateIdpSigningKey(h.dataDir);
    await h.restart();
    const renewed = await pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    expect(decodeProtectedHeader(renewed.accessToken).kid).toBe(newKid);
    expect(newKid).not.toBe(oldKid);
    expect(await brokerStatus(renewed.accessToken)).toBe(200);
    expect(await brokerStatus(firstAccessToken)).toBe(200);
  });

  it('ends the sign-in with access_denied when the user cancels on the login page', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const attempt = newClient().acquireTokenInteractive({
      scopes: SCOPES,
      openBrowser: async (url) => {
        await page.goto(url);
        await page.getByRole('button', { name: 'Cancel' }).click();
      },
      successTemplate: 'ok',
      errorTemplate: 'Sign-in failed: {{error}}',
    });
    await expect(attempt).rejects.toMatchObject({ errorCode: 'access_denied' });
    await context.close();
  });

  it('audits the refused refresh of a token the provider does not know', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${h.server.urls.idp}/token`,
        {
          method: 'POST',
          ca,
          agent: false,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(`grant_type=refresh_token&client_id=${DEV_IDP.readerClientId}&refresh_token=forged`);
    });
    expect(res).toBe(400);
    await waitFor('refused refresh in the audit trail', () =>
      Promise.resolve(
        /"action":"idp.token","user":null,"decision":"refused","reason":"invalid_grant/.test(
          fs.readFileSync(h.server.files.auditLog, 'utf8'),
        )
          ? true
          : undefined,
      ),
    );
  });

  it('refuses a replayed refresh token, audits it, and ends the sign-in it belonged to', async () => {
    const issuer = h.server.urls.idp ?? '';
    const first = await signInWithPassword(issuer, ca, 'alex.morgan', 'attache-alex');
    const stolen = first.refresh_token ?? '';
    expect(stolen).not.toBe('');
    // The device renews: the provider answers with a new refresh token and retires the old one.
    const renewed = await refresh(issuer, ca, stolen);
    expect(renewed.status).toBe(200);
    const next = (JSON.parse(renewed.body) as { refresh_token?: string }).refresh_token ?? '';
    expect(next).not.toBe('');
    expect(next).not.toBe(stolen);
    // Someone replays the old one (a copy taken earlier): refused and audited ...
    const refusedRefreshes = () =>
      fs
        .readFileSync(h.server.files.auditLog, 'utf8')
        .split('\n')
        .filter(
          (line) =>
            line.includes('"action":"idp.token"') &&
            line.includes('"decision":"refused"') &&
            line.includes('"grantType":"refresh_token"'),
        ).length;
    const refusedBefore = refusedRefreshes();
    const replay = await refresh(issuer, ca, stolen);
    expect(replay.status).toBe(400);
    expect((JSON.parse(replay.body) as { error: string }).error).toBe('invalid_grant');
    await waitFor('refused replay in the audit trail', () =>
      Promise.resolve(refusedRefreshes() > refusedBefore ? true : undefined),
    );
    // ... and, since either party may be the thief, the newer token dies with it ...
    const afterReplay = await refresh(issuer, ca, next);
    expect(afterReplay.status).toBe(400);
    expect((JSON.parse(afterReplay.body) as { error: string }).error).toBe('invalid_grant');
    // ... and so does the access token the renewal gave, at the broker too.
    const renewedAccess = (JSON.parse(renewed.body) as { access_token: string }).access_token;
    await waitFor(
      'the broker refusing the renewed access token',
      async () => ((await brokerStatus(renewedAccess)) === 401 ? true : undefined),
      REVOCATION_POLL_SEC * 1000 + 10_000,
    );
  });

  it('after a replayed authorization code, the broker refuses the access token it first gave, within one revocation poll', async () => {
    const issuer = h.server.urls.idp ?? '';
    const { tokens, redeemAgain } = await signInKeepingCode(
      issuer,
      ca,
      'jordan.lee',
      'attache-jordan',
    );
    expect(await brokerStatus(tokens.access_token)).toBe(200);
    // Someone who copied the code from the redirect redeems it again: the provider refuses and,
    // since either party may be the thief, revokes the sign-in the code started.
    const replay = await redeemAgain();
    expect(replay.status).toBe(400);
    expect((JSON.parse(replay.body) as { error: string }).error).toBe('invalid_grant');
    const revokedAt = Date.now();

    await waitFor(
      'the broker refusing the first access token',
      async () => ((await brokerStatus(tokens.access_token)) === 401 ? true : undefined),
      REVOCATION_POLL_SEC * 1000 + 10_000,
    );
    const tookMs = Date.now() - revokedAt;
    // One poll interval, plus the fetch and this test's own polling on a busy machine.
    expect(tookMs).toBeLessThanOrEqual(REVOCATION_POLL_SEC * 1000 + 3_000);

    const trail = fs.readFileSync(h.server.files.auditLog, 'utf8');
    expect(trail).toMatch(/"action":"idp.grant-revoked","user":"jordan.lee"/);
    expect(trail).toMatch(
      /"action":"broker.request","user":"jordan.lee"[^\n]*"decision":"refused","reason":"token revoked at the provider"/,
    );
    // The refresh token of that sign-in is dead too: the device must sign in again.
    expect((await refresh(issuer, ca, tokens.refresh_token ?? '')).status).toBe(400);
  });

  it('serves its login page with a strict CSP, no framing, no referrer and no caching', async () => {
    const issuer = h.server.urls.idp ?? '';
    const start = await httpsRequest(
      ca,
      'GET',
      `${issuer}/auth?${new URLSearchParams({
        client_id: DEV_IDP.readerClientId,
        response_type: 'code',
        redirect_uri: 'http://localhost:49999',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString()}`,
    );
    const setCookie = start.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? ''])
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await httpsRequest(ca, 'GET', `${issuer}${String(start.headers['location'])}`, {
      headers: { cookie },
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toMatch(/style-src 'nonce-[^']+'/);
    expect(csp).not.toContain('script-src');
    expect(page.body).not.toContain('<script');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('binds the login step to the browser that started it: the form without its cookie is refused', async () => {
    const issuer = h.server.urls.idp ?? '';
    const start = await httpsRequest(
      ca,
      'GET',
      `${issuer}/auth?${new URLSearchParams({
        client_id: DEV_IDP.readerClientId,
        response_type: 'code',
        redirect_uri: 'http://localhost:49999',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }).toString()}`,
    );
    const location = String(start.headers['location'] ?? '');
    expect(location).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
    const page = await httpsRequest(ca, 'GET', `${issuer}${location}`);
    expect(page.status).toBe(400); // no interaction cookie: not this browser's sign-in
    const login = await httpsRequest(ca, 'POST', `${issuer}${location}/login`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alex.morgan&password=attache-alex',
    });
    expect(login.status).toBe(400);
    expect(login.headers['location']).toBeUndefined();
    expect(login.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('refuses an authorization request without PKCE, or for a redirect that is not loopback', async () => {
    const issuer = h.server.urls.idp ?? '';
    const ask = (params: Record<string, string>) =>
      httpsRequest(
        ca,
        'GET',
        `${issuer}/auth?${new URLSearchParams({
          client_id: DEV_IDP.readerClientId,
          response_type: 'code',
          scope: 'openid',
          ...params,
        }).toString()}`,
      );
    const noPkce = await ask({ redirect_uri: 'http://localhost:49999' });
    expect(String(noPkce.headers['location'])).toContain('error=invalid_request');
    const elsewhere = await ask({
      redirect_uri: 'https://evil.example/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers['location']).toBeUndefined();
  });

  it('locks a username after five wrong passwords: even the right one is refused, and audited', async () => {
    const issuer = h.server.urls.idp ?? '';
    for (let i = 0; i < 5; i += 1) {
      await expect(signInWithPassword(issuer, ca, 'jordan.lee', `guess-${i}`)).rejects.toThrow(
        /401/,
      );
    }
    await expect(signInWithPassword(issuer, ca, 'jordan.lee', 'attache-jordan')).rejects.toThrow(
      /401/,
    );
    await waitFor('lockout in the audit trail', () =>
      Promise.resolve(
        /"action":"idp.sign-in","user":"jordan.lee","decision":"refused","reason":"too many failed attempts"/.test(
          fs.readFileSync(h.server.files.auditLog, 'utf8'),
        )
          ? true
          : undefined,
      ),
    );
    // Other users are not affected.
    await expect(
      signInWithPassword(issuer, ca, 'sam.taylor', 'attache-sam'),
    ).resolves.toMatchObject({
      token_type: 'Bearer',
    });
  });
});
