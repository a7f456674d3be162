// The only way the sign-in capability talks to the identity provider: https, with the system's
// trusted roots plus, where configured, one extra CA (the embedded product's development CA).
// TLS verification is never turned off; an http URL is refused before any byte is sent.
//
// node:https rather than fetch: a custom CA for fetch needs undici's dispatcher, whose npm copy
// would have to match the undici inside this Node version; https.Agent takes `ca` directly.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { rootCertificates } from 'node:tls';

export type HttpsResponse = {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
};

export type HttpsRequest = {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
};

export type HttpsClient = {
  /** Parses the JSON answer of any status; throws on transport failure or a non-JSON body. */
  readonly requestJson: (url: string, init: HttpsRequest) => Promise<HttpsResponse>;
};

export class HttpsClientError extends Error {
  override readonly name = 'HttpsClientError';
  constructor(
    message: string,
    readonly reason: 'insecure-url' | 'network' | 'timeout' | 'too-large' | 'not-json',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Provider answers (discovery, tokens, keys) are small; anything huge is not one of them. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;

/** Reads the extra CA file, so a wrong path fails at start-up with its name, not at sign-in. */
export async function readCaFile(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`${path} does not hold a PEM certificate`);
  }
  return pem;
}

export function createHttpsClient(
  options: { readonly extraCaPem?: string | null } = {},
): HttpsClient {
  // `ca` replaces Node's default roots, so they are listed too: Entra ID must keep working
  // when a development CA is configured beside it.
  // No keep-alive: sign-in traffic is a handful of requests, and idle pooled sockets would
  // hold a stopping host open.
  const agent = new Agent({
    keepAlive: false,
    ca: options.extraCaPem ? [...rootCertificates, options.extraCaPem] : [...rootCertificates],
  });

  const requestJson = (url: string, init: HttpsRequest): Promise<HttpsResponse> =>
    new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch (error) {
        reject(new HttpsClientError('not a URL', 'insecure-url', { cause: error }));
        return;
      }
      if (target.protocol !== 'https:') {
        reject(
          new HttpsClientError(`refused a non-https request to ${target.origin}`, 'insecure-url'),
        );
        return;
      }
      const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
      const req = request(target, { method: init.method, headers, agent }, (res) => {
        let text = '';
        let size = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          size += Buffer.byteLength(chunk, 'utf8');
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new HttpsClientError('response too large', 'too-large'));
            return;
          }
          text += chunk;
        });
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown;
          try {
            body = text.length === 0 ? {} : JSON.parse(text);
          } catch (error) {
            reject(
              new HttpsClientError(`answer ${res.statusCode ?? 0} is not JSON`, 'not-json', {
                cause: error,
              }),
            );
            return;
          }
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, headers: flat, body });
        });
      });
      req.setTimeout(init.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
        req.destroy(new HttpsClientError('request timed out', 'timeout')),
      );
      req.on('error', (error) =>
        reject(
          error instanceof HttpsClientError
            ? error
            : new HttpsClientError(`request failed: ${error.message}`, 'network', {
                cause: error,
              }),
        ),
      );
      req.end(init.body);
    });

  return { requestJson };
}
