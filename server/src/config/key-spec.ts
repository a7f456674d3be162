// What one configuration key is (its variable, its doc, its schema) and the value schemas the
// key groups (keys-*.ts) share, so that a port, a count or a URL is checked, and its problem
// worded, the same way for every key.
import { isIP } from 'node:net';
import { z } from 'zod';
import type { ServerConfig } from './types.js';

export type KeySpec = {
  readonly env: string;
  readonly doc: string;
  readonly schema: z.ZodType;
  /** The value may carry credentials (a URL with a password): never echoed in error messages. */
  readonly secret?: boolean;
};

/** Some of the configuration's keys, as one capability's file lists them. */
export type KeyGroup = { readonly [K in keyof ServerConfig]?: KeySpec };

/** The configuration as parsed, before the defaults that depend on other keys are filled in. */
export type ParsedConfig = Omit<ServerConfig, 'couchUserAuth'> & {
  readonly couchUserAuth?: ServerConfig['couchUserAuth'];
};

/** A requirement between keys; when it does not hold, `key` is named with `message`. */
export type ConfigRule = {
  readonly key: keyof ServerConfig;
  readonly message: string;
  readonly holds: (config: ParsedConfig) => boolean;
};

export const port = z.coerce
  .number({ error: 'expected a port number' })
  .int({ error: 'expected a whole port number' })
  .min(0, { error: 'expected a port from 0 to 65535' })
  .max(65535, { error: 'expected a port from 0 to 65535' });

export const positiveInt = z.coerce
  .number({ error: 'expected a number' })
  .int({ error: 'expected a whole number' })
  .positive({ error: 'expected a number above 0' });

export const bool = z.union([z.boolean(), z.stringbool()], {
  error: 'expected true or false (also accepted: 1/0, yes/no, on/off)',
});

/** Empty means "not set"; otherwise a URL with one of `protocols` (e.g. ['http:', 'https:']). */
export const optionalUrl = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (text) => {
        if (text === '') return true;
        try {
          return protocols.includes(new URL(text).protocol);
        } catch {
          return false;
        }
      },
      { error: `expected an ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` },
    );

/** An IP address to listen on (no host names: what a name resolves to can change under us). */
export const bindHost = z
  .string()
  .trim()
  .refine((text) => isIP(text) !== 0, {
    error: 'expected an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0',
  })
  .default('127.0.0.1');

/** A comma-separated list (or, in code, an array); empty entries are dropped. */
export const commaList = (check: (items: string[]) => boolean, error: string) =>
  z
    .union([z.string().transform((text) => text.split(',')), z.array(z.string())])
    .transform((items) => items.map((item) => item.trim()).filter(Boolean))
    .refine(check, { error });
