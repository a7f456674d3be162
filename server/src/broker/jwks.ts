// Where the broker gets the identity provider's public keys: the JWKS named by configuration, or
// the `jwks_uri` of the issuer's OpenID discovery document. jose's remote key set caches the keys
// and refetches when a token names a `kid` it does not know (key rotation), at most once per
// cooldown, so a flood of tokens with made-up kids cannot turn into a flood of fetches.
import https from 'node:https';
import { createRemoteJWKSet, customFetch } from 'jose';
import type { FetchImplementation, JWTVerifyGetKey } from 'jose';

const MAX_DOCUMENT_BYTES = 512 * 1024;

/** The provider could not be reached or answered nonsense: the token is not judged, retry later. */
export class KeySourceUnavailableError extends Error {
  readonly code = 'KEY_SOURCE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'KeySourceUnavailableError';
  }
}

export type JwksSource = {
  /** The JWKS URL; when absent it is discovered from `${issuer}/.well-known/openid-configuration`. */
  readonly jwksUrl?: string;
  readonly issuer: string;
  /** Extra CA (PEM) to trust for these fetches: the development provider's local CA. */
  readonly ca?: string;
  /** Least time between two refetches triggered by unknown kids. */
  readonly cooldownMs?: number;
  /** Keys older than this are refetched before use. */
  readonly cacheMaxAgeMs?: number;
  readonly timeoutMs?: number;
};

/** fetch over node:https trusting `ca` besides the system's roots (undici's fetch cannot be told). */
export function fetchTrusting(ca: string): FetchImplementation {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      options.headers.forEach((value, name) => (headers[name] = value));
      const req = https.request(url, { method: 'GET', headers, ca, signal: options.signal });
      req.on('response', (res) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        res.on('data', (chunk: Uint8Array) => {
          size += chunk.byteLength;
          if (size > MAX_DOCUMENT_BYTES) {
            res.destroy(new Error(`response from ${url} exceeds ${MAX_DOCUMENT_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          resolve(
            new Response(new Uint8Array(Buffer.concat(chunks)), {
              status: res.statusCode ?? 500,
              headers: responseHeaders,
            }),
          );
        });
      });
      req.on('error', reject);
      req.end();
    });
}

async function discoverJwksUrl(issuer: string, fetchImpl: FetchImplementation): Promise<URL> {
  const base = issuer.endsWith('/') ? issuer : `${issuer}/`;
  const url = new URL('.well-known/openid-configuration', base).toString();
  const res = await fetchImpl(url, {
    headers: new Headers({ accept: 'application/json' }),
    method: 'GET',
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`discovery at ${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // The discovery document must be the issuer's own (OpenID Connect Discovery §4.3).
  if (doc.issuer !== issuer) throw new Error(`discovery at ${url} names another issuer`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery at ${url} has no jwks_uri`);
  const jwksUrl = new URL(doc.jwks_uri);
  if (jwksUrl.protocol !== 'https:') throw new Error('jwks_uri is not https');
  return jwksUrl;
}

/**
 * A jose key resolver backed by the provider's JWKS. Discovery, when needed, happens on first
 * use and is retried on a later token if it fails; a failure surfaces as
 * KeySourceUnavailableError, never as a verdict on the token.
 */
export function createJwksKeyResolver(source: JwksSource): JWTVerifyGetKey {
  const fetchImpl: FetchImplementation = source.ca
    ? fetchTrusting(source.ca)
    : (url, options) => fetch(url, options);
  let keySet: Promise<JWTVerifyGetKey> | null = null;
  const load = async (): Promise<JWTVerifyGetKey> => {
    const url = source.jwksUrl
      ? new URL(source.jwksUrl)
      : await discoverJwksUrl(source.issuer, fetchImpl);
    return createRemoteJWKSet(url, {
      cooldownDuration: source.cooldownMs ?? 30_000,
      cacheMaxAge: source.cacheMaxAgeMs ?? 10 * 60_000,
      timeoutDuration: source.timeoutMs ?? 5_000,
      [customFetch]: fetchImpl,
    });
  };
  return async (header, token) => {
    keySet ??= load().catch((error: unknown) => {
      keySet = null;
      throw error;
    });
    let resolve: JWTVerifyGetKey;
    try {
      resolve = await keySet;
    } catch (error) {
      throw new KeySourceUnavailableError(
        `signing keys unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return resolve(header, token);
  };
}
