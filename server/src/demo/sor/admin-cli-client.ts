// How the demo SOR admin CLI reaches the admin API: the address and the admin token (a flag,
// the environment or the server's token file), and what to tell the person when the server
// cannot be reached or refuses the token, in the CLI's own terms.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS } from '../../../../src/shared/protocol.js';
import { adminTokenFile } from '../../http/admin-token.js';
import { CliError, osReason } from '../../cli/cli-error.js';
import type { CliDeps } from '../../cli/cli-error.js';

export const DEFAULT_DATA_DIR = '.data/server';

export type Values = Record<string, string | boolean | string[] | undefined>;

export function str(values: Values, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

type TokenSource =
  | { readonly kind: 'flag' }
  | { readonly kind: 'env' }
  | { readonly kind: 'file'; readonly file: string; readonly chosen: boolean };

type Connection = { readonly base: string; readonly token: string; readonly source: TokenSource };

function defaultTokenFile(env: CliDeps['env']): string {
  return adminTokenFile(path.resolve(env['ATTACHE_DATA_DIR'] ?? DEFAULT_DATA_DIR));
}

function connection(values: Values, env: CliDeps['env']): Connection {
  const base = (
    str(values, 'url') ??
    env['ATTACHE_SOR_URL'] ??
    `http://127.0.0.1:${env['ATTACHE_SOR_PORT'] ?? DEFAULT_PORTS.sor}`
  ).replace(/\/+$/, '');
  const flag = str(values, 'token');
  if (flag !== undefined) return { base, token: flag.trim(), source: { kind: 'flag' } };
  const fromEnv = env['ATTACHE_ADMIN_TOKEN'];
  if (fromEnv) return { base, token: fromEnv.trim(), source: { kind: 'env' } };
  const chosen = str(values, 'token-file');
  const file = path.resolve(chosen ?? defaultTokenFile(env));
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new CliError(
      `No admin token: cannot read ${file} (${osReason(error)}). ` +
        (chosen
          ? 'Check the --token-file path.'
          : `The server writes it there when it starts with ATTACHE_DATA_DIR=${env['ATTACHE_DATA_DIR'] ?? DEFAULT_DATA_DIR}; ` +
            'if yours runs with another data folder, set ATTACHE_DATA_DIR to it or pass --token-file <its data folder>/secrets/admin-token.') +
        ' Or pass the token itself with --token or ATTACHE_ADMIN_TOKEN.',
    );
  }
  return { base, token, source: { kind: 'file', file, chosen: chosen !== undefined } };
}

/** What to say when the SOR refuses the token: where it came from and how to fix that. */
function refusedToken(c: Connection, env: CliDeps['env']): string {
  const head = `The demo SOR at ${c.base} refused the admin token`;
  const theirs = '<server data folder>/secrets/admin-token';
  const dataDir = env['ATTACHE_DATA_DIR'] ?? DEFAULT_DATA_DIR;
  switch (c.source.kind) {
    case 'flag':
      return `${head} given with --token. Leave --token out to read ${defaultTokenFile(env)}, or copy the token from ${theirs}.`;
    case 'env':
      return `${head} in ATTACHE_ADMIN_TOKEN. Unset it to read ${defaultTokenFile(env)}, or set it to the token in ${theirs}.`;
    case 'file':
      return c.source.chosen
        ? `${head} in ${c.source.file} (--token-file). Point --token-file at ${theirs}, or pass the token with --token or ATTACHE_ADMIN_TOKEN.`
        : `${head} in ${c.source.file}, the token of a server whose data folder is ${dataDir}. ` +
            'If the server runs with another ATTACHE_DATA_DIR, set ATTACHE_DATA_DIR to that folder ' +
            '(or pass --token-file <that folder>/secrets/admin-token), or pass the token with --token or ATTACHE_ADMIN_TOKEN.';
  }
}

/** API field paths in the CLI's option names, for the few problems only the server can see. */
function inOptionTerms(problem: string): string {
  return problem
    .replace(/^title:/, '--title:')
    .replace(/^summary:/, '--summary:')
    .replace(/^bodyHtml:/, '--body:')
    .replace(/^sender\.name:/, '--sender-name:')
    .replace(/^sender\.role:/, '--sender-role:')
    .replace(/^attachments\.(\d+)\./, (_, n: string) => `--attach #${Number(n) + 1} `)
    .replace(/^recipients\.\d+:|^users\.\d+:/, '--share:');
}

export function createClient(values: Values, deps: CliDeps) {
  let resolved: Connection | null = null;
  return async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const c = (resolved ??= connection(values, deps.env));
    const headers: Record<string, string> = { authorization: `Bearer ${c.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await deps.fetch(`${c.base}/admin${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      throw new CliError(
        `Cannot reach the demo SOR at ${c.base} (${osReason(cause ?? error)}). Is the server running? ` +
          'Set --url or ATTACHE_SOR_URL / ATTACHE_SOR_PORT if it listens elsewhere.',
      );
    }
    const payload = (await res.json().catch(() => ({}))) as {
      message?: string;
      problems?: string[];
    };
    if (res.ok) return payload;
    if (res.status === 401) throw new CliError(refusedToken(c, deps.env));
    const problems = (payload.problems ?? []).map((p) => `\n  - ${inOptionTerms(p)}`).join('');
    if (res.status === 400 && problems) throw new CliError(`The demo SOR refused this:${problems}`);
    const message = payload.message ?? res.statusText;
    throw new CliError(res.status < 500 ? message : `${res.status}: ${message}`);
  };
}

export type Call = ReturnType<typeof createClient>;
