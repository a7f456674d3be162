// Admin CLI of the demo SOR: a thin client of its HTTP admin API.
//   node dist/server/src/cli.js <command> [options]     (or: node --import tsx server/src/cli.ts)
// Output goes to stdout/stderr directly: this is a command-line tool, not the server's log.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS } from '../../src/shared/protocol.js';
import { adminTokenFile } from './sor/admin-token.js';

const USAGE = `Attaché demo SOR admin CLI

Usage:
  sor list
  sor get <id>
  sor create --title <text> (--body <html> | --body-file <file.html>) --classification <marking>
             --priority <routine|priority|urgent> [--summary <text>] [--sender-name <name>]
             [--sender-role <role>] [--attach <file>]... [--share <user1,user2>]
  sor update <id> [--title ...] [--body ... | --body-file ...] [--classification ...]
             [--priority ...] [--summary ...] [--sender-name ... --sender-role ...] [--attach <file>]...
             (--attach replaces all attachments of the new version)
  sor share <id> <user1,user2>
  sor unshare <id> <user1,user2>

Connection (flags or environment):
  --url <url>          ATTACHE_SOR_URL, default http://127.0.0.1:$ATTACHE_SOR_PORT (${DEFAULT_PORTS.sor})
  --token <token>      ATTACHE_ADMIN_TOKEN
  --token-file <file>  default $ATTACHE_DATA_DIR/secrets/admin-token ($ATTACHE_DATA_DIR: .data/server)
  --json               print the raw JSON response
`;

const CONTENT_TYPES: Record<string, string> = {
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

class CliError extends Error {}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function splitUsers(value: string | undefined): string[] {
  if (!value) throw new CliError('Name at least one user (comma-separated).');
  return value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

function readAttachment(file: string) {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  let data: string;
  try {
    data = fs.readFileSync(file).toString('base64');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  return { name: path.basename(file), contentType: type, dataBase64: data };
}

type Values = Record<string, string | boolean | string[] | undefined>;

function str(values: Values, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

function briefingFields(values: Values): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const title = str(values, 'title');
  if (title !== undefined) fields['title'] = title;
  const summary = str(values, 'summary');
  if (summary !== undefined) fields['summary'] = summary;
  const bodyFile = str(values, 'body-file');
  const body = str(values, 'body');
  if (bodyFile !== undefined) fields['bodyHtml'] = fs.readFileSync(bodyFile, 'utf8');
  else if (body !== undefined) fields['bodyHtml'] = body;
  const classification = str(values, 'classification');
  if (classification !== undefined) fields['classification'] = classification;
  const priority = str(values, 'priority');
  if (priority !== undefined) fields['priority'] = priority;
  const senderName = str(values, 'sender-name');
  const senderRole = str(values, 'sender-role');
  if (senderName !== undefined || senderRole !== undefined) {
    fields['sender'] = { name: senderName ?? '', role: senderRole ?? '' };
  }
  const attach = values['attach'];
  if (Array.isArray(attach) && attach.length > 0)
    fields['attachments'] = attach.map(readAttachment);
  return fields;
}

function resolveToken(values: Values): string {
  const direct = str(values, 'token') ?? process.env['ATTACHE_ADMIN_TOKEN'];
  if (direct) return direct.trim();
  const file =
    str(values, 'token-file') ??
    adminTokenFile(path.resolve(process.env['ATTACHE_DATA_DIR'] ?? '.data/server'));
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new CliError(
      `No admin token: ${file} is not readable. Start the server once, or pass --token / --token-file.`,
    );
  }
}

async function call(
  values: Values,
  method: string,
  route: string,
  body?: unknown,
): Promise<unknown> {
  const base =
    str(values, 'url') ??
    process.env['ATTACHE_SOR_URL'] ??
    `http://127.0.0.1:${process.env['ATTACHE_SOR_PORT'] ?? DEFAULT_PORTS.sor}`;
  const headers: Record<string, string> = { authorization: `Bearer ${resolveToken(values)}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/+$/, '')}/admin${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(
      `Cannot reach the demo SOR at ${base}: ${(error as Error).message}. Is the server running?`,
    );
  }
  const payload = (await res.json().catch(() => ({}))) as { message?: string; problems?: string[] };
  if (!res.ok) {
    const problems = payload.problems?.map((p) => `\n  - ${p}`).join('') ?? '';
    throw new CliError(`${res.status}: ${payload.message ?? res.statusText}${problems}`);
  }
  return payload;
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

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
      url: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, id, users] = positionals;
  const print = (result: unknown, text: () => string) =>
    out(values.json ? JSON.stringify(result, null, 2) : text());
  const needId = () => {
    if (!id) throw new CliError(`${command} needs a briefing id (see: sor list).`);
    return encodeURIComponent(id);
  };

  if (values.help) return out(USAGE);
  switch (command) {
    case 'list': {
      const result = (await call(values, 'GET', '/briefings')) as { briefings: Summary[] };
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
      const result = await call(values, 'GET', `/briefings/${needId()}`);
      return out(JSON.stringify(result, null, 2));
    }
    case 'create': {
      const body = {
        ...briefingFields(values),
        ...(values.share ? { recipients: splitUsers(values.share) } : {}),
      };
      const result = (await call(values, 'POST', '/briefings', body)) as {
        sorId: string;
        version: number;
      };
      return print(result, () => `Created ${result.sorId} (version ${result.version}).`);
    }
    case 'update': {
      const result = (await call(
        values,
        'PATCH',
        `/briefings/${needId()}`,
        briefingFields(values),
      )) as { sorId: string; version: number };
      return print(result, () => `Updated ${result.sorId}: now version ${result.version}.`);
    }
    case 'share': {
      const result = (await call(values, 'POST', `/briefings/${needId()}/share`, {
        users: splitUsers(users),
      })) as { added: string[] };
      return print(
        result,
        () => `Shared with: ${result.added.join(', ') || '(all were already recipients)'}`,
      );
    }
    case 'unshare': {
      const result = (await call(values, 'POST', `/briefings/${needId()}/unshare`, {
        users: splitUsers(users),
      })) as { removed: string[] };
      return print(
        result,
        () => `Unshared from: ${result.removed.join(', ') || '(none were recipients)'}`,
      );
    }
    case undefined:
    case 'help':
      return out(USAGE);
    default:
      throw new CliError(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message =
    error instanceof CliError ||
    (error instanceof Error &&
      'code' in error &&
      String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      ? error.message
      : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`sor: ${message}\n`);
  process.exitCode = 1;
});
