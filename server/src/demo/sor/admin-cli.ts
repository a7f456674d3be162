// The demo SOR's admin CLI: a thin client of its HTTP admin API (admin-api.ts), for a briefing
// officer at a terminal. It checks what it can before calling the API, so that a mistake is
// named in the CLI's own terms (its options, its files, where it found the token) rather than
// as the API's validation output.
import type { BriefingAnnotations } from './annotations-view.js';
import { formatAnnotations } from './annotations-view.js';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLASSIFICATIONS, PRIORITIES } from '../../../../src/shared/briefing.js';
import { DEFAULT_PORTS } from '../../../../src/shared/protocol.js';
import { adminTokenFile } from '../../http/admin-token.js';
import { CliError, osReason } from '../../cli/cli-error.js';
import type { CliDeps } from '../../cli/cli-error.js';

const RUN = 'npm run sor --';
const DEFAULT_DATA_DIR = '.data/server';

const CONNECTION_HELP = `Connection (flags or environment):
  --url <url>          ATTACHE_SOR_URL, default http://127.0.0.1:$ATTACHE_SOR_PORT (${DEFAULT_PORTS.sor})
  --token <token>      ATTACHE_ADMIN_TOKEN
  --token-file <file>  default $ATTACHE_DATA_DIR/secrets/admin-token ($ATTACHE_DATA_DIR: ${DEFAULT_DATA_DIR})
  --json               print the raw JSON response`;

const classificationList = CLASSIFICATIONS.map((c) => (c.includes(' ') ? `"${c}"` : c)).join(', ');
const priorityList = `${PRIORITIES.slice(0, -1).join(', ')} or ${PRIORITIES.at(-1) ?? ''}`;

const CONTENT_HELP = `  --title <text>            the briefing's title
  --body <html>             the body as HTML, or
  --body-file <file.html>   the body read from a file
  --classification <marking>  one of ${classificationList}
  --priority <level>        ${priorityList}
  --summary <text>          one or two sentences for the list (default: from the body)
  --sender-name <name>      default: Ministerial Briefing Unit
  --sender-role <role>
  --attach <file>           an attachment; repeat for more`;

const HELP: Readonly<Record<string, string>> = {
  create: `Usage: ${RUN} create --title <text> (--body <html> | --body-file <file>)
         --classification <marking> --priority <level> [options]

Creates a briefing (version 1) and shares it with --share.

Required:
${CONTENT_HELP.split('\n').slice(0, 5).join('\n')}
Optional:
${CONTENT_HELP.split('\n').slice(5).join('\n')}
  --share <user1,user2>     recipients: users the SOR knows (${RUN} users)
  --allow-unknown-recipients
                            share with ids the SOR does not know yet (the briefing
                            reaches them when they first sign in)

${CONNECTION_HELP}`,
  update: `Usage: ${RUN} update <id> [options]

Stores a new version of briefing <id> with the fields given; the rest carry over. The
current recipients receive the new version.

${CONTENT_HELP}
                            (--attach replaces all attachments of the new version)

${CONNECTION_HELP}`,
  share: `Usage: ${RUN} share <id> <user1,user2> [--allow-unknown-recipients]

Shares briefing <id> with users the SOR knows (${RUN} users). --allow-unknown-recipients
also shares with ids it does not know yet: the briefing reaches them when they first sign in.

${CONNECTION_HELP}`,
  unshare: `Usage: ${RUN} unshare <id> <user1,user2>

Withdraws briefing <id> from those users; it disappears from their devices at the next sync.

${CONNECTION_HELP}`,
};

const USAGE = `Attaché demo SOR admin CLI

Usage:
  ${RUN} list                      briefings, with their recipients
  ${RUN} get <id>                  one briefing as JSON
  ${RUN} users                     the users the SOR knows
  ${RUN} create --title <text> (--body <html> | --body-file <file>)
                 --classification <marking> --priority <level> [--share <users>] ...
  ${RUN} update <id> [--title ...] [--body ... | --body-file ...] ...
  ${RUN} share <id> <user1,user2>
  ${RUN} unshare <id> <user1,user2>
  ${RUN} annotations <id>          each person's highlights and notes on a briefing

${RUN} <command> --help shows a command's options.

${CONNECTION_HELP}
`;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

type Values = Record<string, string | boolean | string[] | undefined>;

function str(values: Values, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

function seeHelp(command: string): string {
  return `see \`${RUN} ${command} --help\``;
}

function readFileOption(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read ${option} ${file}: ${osReason(error)}.`);
  }
}

function splitUsers(value: string | undefined, command: string): string[] {
  const users = (value ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (users.length === 0) {
    throw new CliError(`Name at least one user, comma-separated (${seeHelp(command)}).`);
  }
  return users;
}

/** Matches a value against allowed ones whatever its case; the canonical spelling, or null. */
function canonical<T extends string>(allowed: readonly T[], value: string): T | null {
  const wanted = value.trim().toLowerCase();
  return allowed.find((a) => a.toLowerCase() === wanted) ?? null;
}

function fail(command: string, problems: readonly string[]): never {
  if (problems.length === 1) throw new CliError(`${problems[0]} (${seeHelp(command)}).`);
  throw new CliError(
    `${command} cannot go ahead:\n${problems.map((p) => `  - ${p}`).join('\n')}\n(${seeHelp(command)})`,
  );
}

/**
 * The briefing fields given on the command line, checked. `create` needs title, body,
 * classification and priority; `update` needs at least one field.
 */
export function briefingFields(
  values: Values,
  command: 'create' | 'update',
): Record<string, unknown> {
  const problems: string[] = [];
  const fields: Record<string, unknown> = {};
  const required = command === 'create';

  const title = str(values, 'title');
  if (title === undefined) {
    if (required) problems.push("Missing --title: the briefing's title");
  } else if (title.trim() === '') problems.push('--title is empty');
  else fields['title'] = title;

  const body = str(values, 'body');
  const bodyFile = str(values, 'body-file');
  if (body !== undefined && bodyFile !== undefined) {
    problems.push('Give the body once: --body or --body-file, not both');
  } else if (body === undefined && bodyFile === undefined) {
    if (required) problems.push('Missing the body: --body <html> or --body-file <file.html>');
  }

  const classification = str(values, 'classification');
  if (classification === undefined) {
    if (required) problems.push(`Missing --classification: one of ${classificationList}`);
  } else {
    const marking = canonical(CLASSIFICATIONS, classification);
    if (marking) fields['classification'] = marking;
    else
      problems.push(
        `--classification ${JSON.stringify(classification)} is not a marking: use one of ${classificationList}`,
      );
  }

  const priority = str(values, 'priority');
  if (priority === undefined) {
    if (required) problems.push(`Missing --priority: ${priorityList}`);
  } else {
    const level = canonical(PRIORITIES, priority);
    if (level) fields['priority'] = level;
    else
      problems.push(
        `--priority ${JSON.stringify(priority)} is not a priority: use ${priorityList}`,
      );
  }

  const summary = str(values, 'summary');
  if (summary !== undefined) fields['summary'] = summary;
  const senderName = str(values, 'sender-name');
  const senderRole = str(values, 'sender-role');
  if (senderName !== undefined || senderRole !== undefined) {
    fields['sender'] = { name: senderName ?? '', role: senderRole ?? '' };
  }

  if (command === 'update' && values['share'] !== undefined) {
    problems.push('update does not change recipients: use share or unshare');
  }
  if (problems.length > 0) fail(command, problems);
  // Files last: no point reading them for a command that is refused anyway.
  if (bodyFile !== undefined)
    fields['bodyHtml'] = readFileOption('--body-file', bodyFile).toString('utf8');
  else if (body !== undefined) fields['bodyHtml'] = body;
  const attach = values['attach'];
  if (Array.isArray(attach) && attach.length > 0) {
    fields['attachments'] = attach.map((file) => ({
      name: path.basename(file),
      contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      dataBase64: readFileOption('--attach', file).toString('base64'),
    }));
  }
  if (command === 'update' && Object.keys(fields).length === 0) {
    fail('update', ['Nothing to update: give at least one field, such as --title']);
  }
  return fields;
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

function createClient(values: Values, deps: CliDeps) {
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

type Call = ReturnType<typeof createClient>;
type KnownUser = { id: string; displayName: string };

/**
 * Refuses recipients the SOR does not know, unless told to share with them anyway. A briefing
 * officer sharing a classified briefing expects a mistyped recipient to be caught, like a
 * bounced address, not to sit in the SOR until someone with that id appears.
 */
async function checkRecipients(
  call: Call,
  users: readonly string[],
  values: Values,
  command: string,
) {
  if (values['allow-unknown-recipients'] === true) return;
  const { users: known } = (await call('GET', '/users')) as { users: KnownUser[] };
  const ids = new Set(known.map((u) => u.id));
  const unknown = users.filter((u) => !ids.has(u));
  if (unknown.length === 0) return;
  const names = unknown.map((u) => JSON.stringify(u)).join(', ');
  const listed = known
    .slice(0, 12)
    .map((u) => (u.displayName && u.displayName !== u.id ? `${u.id} (${u.displayName})` : u.id));
  const more =
    known.length > listed.length ? `, and ${known.length - listed.length} more (${RUN} users)` : '';
  throw new CliError(
    `${names} ${unknown.length === 1 ? 'is not a user' : 'are not users'} the demo SOR knows; nothing was ${command === 'create' ? 'created' : 'shared'}.\n` +
      `Known users: ${listed.join(', ') || '(none)'}${more}.\n` +
      'Check the spelling. To share with someone who has not signed in yet, add --allow-unknown-recipients: ' +
      'the briefing reaches them when they first sign in.',
  );
}

const andList = (items: readonly string[]): string =>
  items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;

/** "Shared BRF-1 with a and b; c already had it." */
function shareOutcome(sorId: string, asked: readonly string[], added: readonly string[]): string {
  const already = asked.filter((u) => !added.includes(u));
  if (added.length === 0) return `${andList(already)} already had ${sorId}: nothing changed.`;
  const had = already.length > 0 ? `; ${andList(already)} already had it` : '';
  return `Shared ${sorId} with ${andList(added)}${had}.`;
}

/** "Unshared BRF-1 from a; b did not have it; "c" is not a user the demo SOR knows." */
function unshareOutcome(
  sorId: string,
  removed: readonly string[],
  missed: readonly string[],
  unknown: readonly string[],
): string {
  const notHolding = missed.filter((u) => !unknown.includes(u));
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`Unshared ${sorId} from ${andList(removed)}`);
  if (notHolding.length > 0) {
    parts.push(
      `${andList(notHolding)} did not have ${removed.length > 0 ? 'it' : sorId}${removed.length > 0 || unknown.length > 0 ? '' : ': nothing changed'}`,
    );
  }
  if (unknown.length > 0) {
    parts.push(
      `${andList(unknown.map((u) => JSON.stringify(u)))} ${unknown.length === 1 ? 'is not a user' : 'are not users'} the demo SOR knows (check the spelling; \`${RUN} users\` lists them)`,
    );
  }
  return `${parts.join('; ')}.`;
}

type Summary = {
  sorId: string;
  version: number;
  title: string;
  classification: string;
  priority: string;
  recipients: string[];
  attachments: string[];
};

const OPTIONS = {
  title: { type: 'string' },
  body: { type: 'string' },
  'body-file': { type: 'string' },
  summary: { type: 'string' },
  classification: { type: 'string' },
  priority: { type: 'string' },
  'sender-name': { type: 'string' },
  'sender-role': { type: 'string' },
  attach: { type: 'string', multiple: true },
  share: { type: 'string' },
  'allow-unknown-recipients': { type: 'boolean' },
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      const option = /'(-[^' ]+)/.exec((error as Error).message)?.[1];
      throw new CliError(
        code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option
          ? `Unknown option ${option} (see \`${RUN} --help\`).`
          : `${(error as Error).message} (see \`${RUN} --help\`).`,
      );
    }
    throw error;
  }
}

/** Runs one command line. Throws CliError for anything the person can fix. */
export async function runAdminCli(argv: readonly string[], deps: CliDeps): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, id, users] = positionals;
  if (values.help || command === undefined || command === 'help') {
    deps.out(HELP[command ?? ''] ?? HELP[id ?? ''] ?? USAGE);
    return;
  }
  const call = createClient(values, deps);
  const print = (result: unknown, text: () => string) =>
    deps.out(values.json ? JSON.stringify(result, null, 2) : text());
  const needId = () => {
    if (!id) throw new CliError(`${command} needs a briefing id (${RUN} list shows them).`);
    return encodeURIComponent(id);
  };

  switch (command) {
    case 'list': {
      const result = (await call('GET', '/briefings')) as { briefings: Summary[] };
      return print(result, () =>
        result.briefings
          .map(
            (b) =>
              `${b.sorId}  v${b.version}  [${b.classification}] (${b.priority})  ${b.title}\n    shared with: ${b.recipients.join(', ') || '(nobody)'}${b.attachments.length ? `\n    attachments: ${b.attachments.join(', ')}` : ''}`,
          )
          .join('\n'),
      );
    }
    case 'get': {
      const result = await call('GET', `/briefings/${needId()}`);
      return deps.out(JSON.stringify(result, null, 2));
    }
    case 'users': {
      const result = (await call('GET', '/users')) as { users: KnownUser[] };
      return print(result, () =>
        result.users.map((u) => `${u.id.padEnd(20)}  ${u.displayName}`).join('\n'),
      );
    }
    case 'create': {
      const fields = briefingFields(values, 'create');
      const recipients = values.share === undefined ? [] : splitUsers(values.share, 'create');
      if (recipients.length > 0) await checkRecipients(call, recipients, values, 'create');
      const result = (await call('POST', '/briefings', { ...fields, recipients })) as {
        sorId: string;
        version: number;
      };
      return print(
        result,
        () =>
          `Created ${result.sorId} (version ${result.version})${recipients.length > 0 ? `, shared with ${recipients.join(', ')}` : ', shared with nobody yet'}.`,
      );
    }
    case 'update': {
      const sorId = needId();
      const result = (await call(
        'PATCH',
        `/briefings/${sorId}`,
        briefingFields(values, 'update'),
      )) as {
        sorId: string;
        version: number;
      };
      return print(result, () => `Updated ${result.sorId}: now version ${result.version}.`);
    }
    case 'share': {
      const sorId = needId();
      const list = splitUsers(users, 'share');
      await checkRecipients(call, list, values, 'share');
      const result = (await call('POST', `/briefings/${sorId}/share`, { users: list })) as {
        added: string[];
      };
      return print(result, () => shareOutcome(id ?? sorId, list, result.added));
    }
    case 'unshare': {
      const sorId = needId();
      const list = splitUsers(users, 'unshare');
      const result = (await call('POST', `/briefings/${sorId}/unshare`, { users: list })) as {
        removed: string[];
      };
      const missed = list.filter((u) => !result.removed.includes(u));
      // Someone who did not have it may simply be misspelt: say which of them the SOR does not
      // know at all, rather than only that nothing changed for them.
      const known =
        missed.length === 0
          ? new Set<string>()
          : new Set(
              ((await call('GET', '/users')) as { users: KnownUser[] }).users.map((u) => u.id),
            );
      const unknown = missed.filter((u) => !known.has(u));
      const text = unshareOutcome(id ?? sorId, result.removed, missed, unknown);
      if (values.json !== true && result.removed.length === 0 && unknown.length > 0) {
        throw new CliError(text);
      }
      return print(result, () => text);
    }
    case 'annotations': {
      const result = (await call(
        'GET',
        `/briefings/${needId()}/annotations`,
      )) as BriefingAnnotations;
      return print(result, () => formatAnnotations(result));
    }
    default:
      throw new CliError(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
  }
}
