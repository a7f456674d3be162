// The identity provider's discovery document, kept on disk (it is public, not secret) so that
// MSAL can renew tokens, and the reader can open, without first reaching the provider: MSAL
// runs discovery before any silent acquisition unless it is handed the document.
//
// The cloud discovery metadata (Entra's instance discovery) is built from the authority itself:
// the authority is a known authority, so there is nothing to discover.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeFileDurably } from '../files/durable-write.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { HttpsClient } from './https-client.js';

export type ProtocolFlavour = 'oidc' | 'entra';

export type AuthorityMetadata = {
  /** The discovery document as MSAL's `auth.authorityMetadata` wants it (a JSON string). */
  readonly authorityMetadata: string;
  /** MSAL's `auth.cloudDiscoveryMetadata` (a JSON string). */
  readonly cloudDiscoveryMetadata: string;
};

const httpsUrl = z.url({ protocol: /^https$/ });
const discoverySchema = z
  .object({
    issuer: z.string().min(1),
    authorization_endpoint: httpsUrl,
    token_endpoint: httpsUrl,
    jwks_uri: httpsUrl,
    end_session_endpoint: httpsUrl.optional(),
  })
  .passthrough();

const fileSchema = z.object({
  version: z.literal(1),
  authority: z.string(),
  discovery: discoverySchema,
  fetchedAt: z.string(),
});

/** Where the provider publishes its discovery document, the way MSAL looks for it. */
export function discoveryUrl(authority: string, flavour: ProtocolFlavour): string {
  return new URL(
    flavour === 'entra'
      ? 'v2.0/.well-known/openid-configuration'
      : '.well-known/openid-configuration',
    authority,
  ).toString();
}

export function cloudDiscoveryFor(authority: string, flavour: ProtocolFlavour): string {
  const host = new URL(authority).host;
  return JSON.stringify({
    tenant_discovery_endpoint: discoveryUrl(authority, flavour),
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

export class AuthorityMetadataError extends Error {
  override readonly name = 'AuthorityMetadataError';
}

export type AuthorityMetadataStore = {
  /** The saved document for this authority, or null (never fetched, or another authority). */
  readonly load: () => Promise<AuthorityMetadata | null>;
  /** Fetches, checks and saves the document; throws when the provider cannot be reached. */
  readonly refresh: () => Promise<AuthorityMetadata>;
};

export function createAuthorityMetadataStore(options: {
  readonly file: string;
  readonly authority: string;
  readonly flavour: ProtocolFlavour;
  readonly https: HttpsClient;
  readonly logger: Logger;
}): AuthorityMetadataStore {
  const { file, authority, flavour } = options;
  const cloudDiscoveryMetadata = cloudDiscoveryFor(authority, flavour);
  const toMetadata = (discovery: z.infer<typeof discoverySchema>): AuthorityMetadata => ({
    authorityMetadata: JSON.stringify(discovery),
    cloudDiscoveryMetadata,
  });

  const check = (body: unknown): z.infer<typeof discoverySchema> => {
    const parsed = discoverySchema.safeParse(body);
    if (!parsed.success) {
      throw new AuthorityMetadataError(
        `the identity provider's discovery document is incomplete (${parsed.error.issues
          .map((issue) => issue.path.join('.'))
          .join(', ')})`,
      );
    }
    // A generic OpenID provider names itself exactly as configured (without the trailing slash
    // MSAL needs). Entra's multi-tenant issuer is a template, checked by the broker instead.
    if (
      flavour === 'oidc' &&
      parsed.data.issuer.replace(/\/$/, '') !== authority.replace(/\/$/, '')
    ) {
      throw new AuthorityMetadataError(
        `the identity provider calls itself ${parsed.data.issuer}, not ${authority}: check ATTACHE_AUTHORITY`,
      );
    }
    return parsed.data;
  };

  return {
    load: async () => {
      let raw: string;
      try {
        raw = await readFile(file, 'utf8');
      } catch {
        return null;
      }
      try {
        const saved = fileSchema.parse(JSON.parse(raw));
        if (saved.authority !== authority) return null;
        return toMetadata(check(saved.discovery));
      } catch (error) {
        options.logger.warn('ignoring an unreadable saved discovery document', errorFields(error));
        return null;
      }
    },

    refresh: async () => {
      const response = await options.https.requestJson(discoveryUrl(authority, flavour), {
        method: 'GET',
      });
      if (response.status !== 200) {
        throw new AuthorityMetadataError(
          `the identity provider's discovery document answered ${response.status}`,
        );
      }
      const discovery = check(response.body);
      // A crash mid-write leaves the previous document, never half of one.
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFileDurably(
        file,
        JSON.stringify({
          version: 1,
          authority,
          discovery,
          fetchedAt: new Date().toISOString(),
        } satisfies z.input<typeof fileSchema>),
      );
      return toMetadata(discovery);
    },
  };
}
