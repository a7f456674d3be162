// A minimal OAuth client for tests that need real tokens from the development provider without a
// browser: authorization code + PKCE, the provider's own login form posted with the session
// cookies, the code taken from the loopback redirect, exchanged at the token endpoint. It talks
// https trusting the development CA only. (The browser path, msal-node + Chromium, is
// idp-sign-in.test.ts.)
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import { DEV_IDP } from '../../../src/shared/protocol.js';

export type TokenSet = {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly expires_in: number;
  readonly scope?: string;
};

type HttpsReply = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

export function httpsRequest(
  ca: string,
  method: string,
  url: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, ca, agent: false, headers: init.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const DEFAULT_SCOPE = `openid profile offline_access ${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`;

/** Signs in as `username` and returns the token endpoint's answer. Throws on a refused login. */
export async function signInWithPassword(
  issuer: string,
  ca: string,
  username: string,
  password: string,
  scope = DEFAULT_SCOPE,
): Promise<TokenSet> {
  return (await signInKeepingCode(issuer, ca, username, password, scope)).tokens;
}

/**
 * Signs in like signInWithPassword and keeps the authorization code: `redeemAgain` sends the
 * same code exchange once more, as an attacker who copied the code from the redirect would.
 */
export async function signInKeepingCode(
  issuer: string,
  ca: string,
  username: string,
  password: string,
  scope = DEFAULT_SCOPE,
): Promise<{ tokens: TokenSet; redeemAgain: () => Promise<HttpsReply> }> {
  const cookies = new Map<string, string>();
  const remember = (reply: HttpsReply) => {
    const set = reply.headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const go = async (method: string, url: string, body?: string) => {
    const reply = await httpsRequest(ca, method, url, {
      headers: {
        cookie: cookieHeader(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    });
    remember(reply);
    return reply;
  };

  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://localhost:49999';
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: DEV_IDP.readerClientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  // Follow redirects inside the provider until it sends the browser back to the loopback.
  let reply = await go('GET', auth.toString());
  let posted = false;
  for (let hops = 0; hops < 12; hops += 1) {
    const location = reply.headers['location'];
    if (typeof location === 'string') {
      const next = new URL(location, issuer);
      if (next.origin === new URL(redirectUri).origin) {
        const code = next.searchParams.get('code');
        if (!code) throw new Error(`no code: ${next.search}`);
        const redeem = () =>
          httpsRequest(ca, 'POST', `${issuer}/token`, {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'authorization_code',
              client_id: DEV_IDP.readerClientId,
              code,
              redirect_uri: redirectUri,
              code_verifier: verifier,
            }).toString(),
          });
        const token = await redeem();
        if (token.status !== 200) throw new Error(`token endpoint: ${token.status} ${token.body}`);
        return { tokens: JSON.parse(token.body) as TokenSet, redeemAgain: redeem };
      }
      reply = await go('GET', next.toString());
      continue;
    }
    const form = /<form method="post" action="([^"]+)"/.exec(reply.body);
    if (reply.status === 200 && form?.[1] && !posted) {
      posted = true;
      reply = await go(
        'POST',
        new URL(form[1].replace(/&amp;/g, '&'), issuer).toString(),
        new URLSearchParams({ username, password }).toString(),
      );
      continue;
    }
    throw new Error(`sign-in as ${username} stopped at ${reply.status}`);
  }
  throw new Error('too many redirects');
}

/** Exchanges a refresh token. */
export async function refresh(
  issuer: string,
  ca: string,
  refreshToken: string,
): Promise<HttpsReply> {
  return httpsRequest(ca, 'POST', `${issuer}/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: DEV_IDP.readerClientId,
      refresh_token: refreshToken,
    }).toString(),
  });
}
