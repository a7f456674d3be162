// The demo SOR's admin CLI: a thin client of its HTTP admin API (admin-api.ts), for a briefing
// officer at a terminal. It checks what it can before calling the API, so that a mistake is
// named in the CLI's own terms (its options, its files, where it found the token) rather than
// as the API's validation output.
import type { BriefingAnnotations } from './annotations-view.js';
import { formatAnnotations } from './annotations-view.js';
import fs from 'node:fs';
import path from 'node:path';
import { CLASSIFICATIONS, PRIORITIES } from '../../../../src/shared/briefing.js';
import { CliError, osReason } from '../../cli/cli-error.js';
import type { CliDeps } from '../../cli/cli-error.js';
import { parseCommandLine } from '../../cli/parse-command-line.js';
import { createClient, str } from './admin-cli-client.js';
import type { Call, Values } from './admin-cli-client.js';
import { HELP, RUN, USAGE, classificationList, priorityList } from './admin-cli-help.js';

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

/** Runs one command line. Throws CliError for anything the person can fix. */
export async function runAdminCli(argv: readonly string[], deps: CliDeps): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, `${RUN} --help`);
  const [command, id, users] = positionals;
  if (values.help || command === undefined || command === 'help') {
    deps.out(HELP[command ?? ''] ?? HELP[id ?? ''] ?? USAGE);
    return;
  }
  const call = createClient(values, deps);
  // The server's warnings (a briefing Attaché will not deliver) follow the answer's own text.
  const print = (result: unknown, text: () => string) => {
    const warnings = (result as { warnings?: unknown }).warnings;
    const warned = Array.isArray(warnings) ? warnings.map((w) => `\nWarning: ${String(w)}`) : [];
    deps.out(values.json ? JSON.stringify(result, null, 2) : `${text()}${warned.join('')}`);
  };
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
