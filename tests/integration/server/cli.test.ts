// The admin CLI against a real demo SOR admin API: each command's effect on the SOR, what a
// briefing officer sees for a wrong token or an unknown recipient, and that a refused command
// changes nothing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import { createSorAdminServer } from '../../../server/src/demo/sor/admin-api.js';
import { runAdminCli } from '../../../server/src/demo/sor/admin-cli.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const repo = path.resolve(import.meta.dirname, '../../..');
const TOKEN = 'cli-test-token-0123456789abcdef0123456789';
let dir: string;
let sor: DemoSor;
let server: http.Server;
let url: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-cli-'));
  sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
  sor.addUser('alex.morgan', 'Alex Morgan');
  sor.addUser('sam.taylor', 'Sam Taylor');
  server = createSorAdminServer({ sor, adminToken: TOKEN });
  url = `http://127.0.0.1:${await listen(server, '127.0.0.1', 0)}`;
});
afterAll(async () => {
  await closeServer(server);
  sor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs one command line; returns what it printed or the message it failed with. */
async function cli(argv: readonly string[], env: Record<string, string> = {}) {
  const printed: string[] = [];
  try {
    await runAdminCli([...argv, '--url', url], {
      env: { ATTACHE_ADMIN_TOKEN: TOKEN, ...env },
      fetch: globalThis.fetch,
      out: (text) => printed.push(text),
    });
    return { ok: true as const, text: printed.join('\n') };
  } catch (error) {
    return { ok: false as const, text: (error as Error).message };
  }
}

/** The id from the CLI's "Created BRF-000001 (version 1)..." line. */
function createdId(text: string): string {
  const id = /^Created (BRF-\d+) /.exec(text)?.[1];
  if (!id) throw new Error(`no briefing was created: ${text}`);
  return id;
}

/** Runs the CLI's entry point (server/src/cli.ts) as its own process. */
function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'server/src/cli.ts'), ...argv],
      { cwd: repo, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(error ?? new Error('no exit code'));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

const briefing = (...share: string[]) => [
  'create',
  '--title',
  'CLI briefing',
  '--body',
  '<p>Hello</p>',
  '--classification',
  'official',
  '--priority',
  'Priority',
  ...(share.length > 0 ? ['--share', share.join(',')] : []),
];

describe('sor CLI against the demo SOR', () => {
  it('creates a briefing for known users, taking markings in any case', async () => {
    const result = await cli(briefing('alex.morgan', 'sam.taylor'));
    expect(result).toMatchObject({ ok: true });
    expect(result.text).toMatch(
      /^Created BRF-\d+ \(version 1\), shared with alex\.morgan, sam\.taylor\.$/,
    );
    const created = sor.list().at(-1);
    expect(created?.classification).toBe('OFFICIAL');
    expect(created?.priority).toBe('priority');
  });

  it('refuses an unknown recipient, names the known users, and creates nothing', async () => {
    const before = sor.documentCount();
    const result = await cli(briefing('alex.morgan', 'nobody.here'));
    expect(result.ok).toBe(false);
    expect(result.text).toContain(
      '"nobody.here" is not a user the demo SOR knows; nothing was created.',
    );
    expect(result.text).toContain(
      'Known users: alex.morgan (Alex Morgan), sam.taylor (Sam Taylor).',
    );
    expect(result.text).toContain('--allow-unknown-recipients');
    expect(sor.documentCount()).toBe(before);
  });

  it('shares with an id not known yet when told to', async () => {
    const result = await cli([...briefing('new.starter'), '--allow-unknown-recipients']);
    expect(result).toMatchObject({ ok: true });
    expect(sor.list().at(-1)?.recipients).toEqual(['new.starter']);
  });

  it('refuses to share an existing briefing with an unknown user', async () => {
    const id = sor.list().at(0)?.sorId ?? '';
    const result = await cli(['share', id, 'alex.morgen']);
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(
      /^"alex\.morgen" is not a user the demo SOR knows; nothing was shared\./,
    );
    expect(sor.list().at(0)?.recipients).not.toContain('alex.morgen');
  });

  it('lists the users the SOR knows', async () => {
    const result = await cli(['users']);
    expect(result.text).toMatch(/^alex\.morgan\s+Alex Morgan$/m);
  });

  it('for a wrong token, says where it looked and how to point it at the right one', async () => {
    const tokenFile = path.join(dir, 'data', 'secrets', 'admin-token');
    fs.mkdirSync(path.dirname(tokenFile), { recursive: true });
    fs.writeFileSync(tokenFile, 'a-token-from-another-server-0123456789abcdef\n');
    const fromFile = await cli(['list'], {
      ATTACHE_ADMIN_TOKEN: '',
      ATTACHE_DATA_DIR: path.join(dir, 'data'),
    });
    expect(fromFile.ok).toBe(false);
    expect(fromFile.text).toContain(`refused the admin token in ${tokenFile}`);
    expect(fromFile.text).toContain('ATTACHE_DATA_DIR');
    expect(fromFile.text).toContain('--token');
    expect(fromFile.text).not.toMatch(/Bearer|401/);

    const fromFlag = await cli(['list', '--token', 'wrong']);
    expect(fromFlag.text).toMatch(/refused the admin token given with --token/);
    const fromEnv = await cli(['list'], { ATTACHE_ADMIN_TOKEN: 'wrong' });
    expect(fromEnv.text).toMatch(/refused the admin token in ATTACHE_ADMIN_TOKEN/);
  });

  it('updates a briefing: a new version with the given fields, the rest carried over', async () => {
    const created = await cli(briefing('alex.morgan'));
    const id = createdId(created.text);
    const bodyFile = path.join(dir, 'update-body.html');
    fs.writeFileSync(bodyFile, '<p>Revised advice</p>');
    const pdf = path.join(dir, 'annex.pdf');
    fs.writeFileSync(pdf, '%PDF-1.7\n% annex\n');

    const result = await cli([
      'update',
      id,
      '--title',
      'CLI briefing, revised',
      '--priority',
      'URGENT',
      '--body-file',
      bodyFile,
      '--attach',
      pdf,
    ]);
    expect(result).toEqual({ ok: true, text: `Updated ${id}: now version 2.` });
    const detail = sor.get(id);
    expect(detail).toMatchObject({
      version: 2,
      recipients: ['alex.morgan'],
      content: {
        title: 'CLI briefing, revised',
        priority: 'urgent',
        classification: 'OFFICIAL',
        bodyHtml: '<p>Revised advice</p>',
      },
      attachments: [{ name: 'annex.pdf', contentType: 'application/pdf', size: 17 }],
    });
  });

  it('shares a briefing with known users, and says when they already had it', async () => {
    const id = createdId((await cli(briefing())).text);
    expect(sor.get(id)?.recipients).toEqual([]);

    const result = await cli(['share', id, 'sam.taylor']);
    expect(result).toEqual({ ok: true, text: `Shared ${id} with sam.taylor.` });
    expect(sor.get(id)?.recipients).toEqual(['sam.taylor']);

    const some = await cli(['share', id, 'sam.taylor, alex.morgan']);
    expect(some).toEqual({
      ok: true,
      text: `Shared ${id} with alex.morgan; sam.taylor already had it.`,
    });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan', 'sam.taylor']);

    const again = await cli(['share', id, 'alex.morgan']);
    expect(again).toEqual({ ok: true, text: `alex.morgan already had ${id}: nothing changed.` });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan', 'sam.taylor']);
  });

  it('unshares a briefing from the users named, and only them', async () => {
    const id = createdId((await cli(briefing('alex.morgan', 'sam.taylor'))).text);

    const result = await cli(['unshare', id, 'sam.taylor']);
    expect(result).toEqual({ ok: true, text: `Unshared ${id} from sam.taylor.` });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan']);

    const again = await cli(['unshare', id, 'sam.taylor']);
    expect(again).toEqual({ ok: true, text: `sam.taylor did not have ${id}: nothing changed.` });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan']);
  });

  it('says a user it is asked to unshare from does not exist, rather than only that nothing changed', async () => {
    const id = createdId((await cli(briefing('alex.morgan', 'sam.taylor'))).text);

    const typo = await cli(['unshare', id, 'alex.morgn']);
    expect(typo).toEqual({
      ok: false,
      text: '"alex.morgn" is not a user the demo SOR knows (check the spelling; `npm run sor -- users` lists them).',
    });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan', 'sam.taylor']);

    // With someone it did unshare from, the command succeeds and still names the stranger.
    const mixed = await cli(['unshare', id, 'sam.taylor,bob']);
    expect(mixed).toEqual({
      ok: true,
      text: `Unshared ${id} from sam.taylor; "bob" is not a user the demo SOR knows (check the spelling; \`npm run sor -- users\` lists them).`,
    });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan']);
  });

  it('refuses an empty body and one over the limit, saying what to do, and creates nothing', async () => {
    const marking = ['create', '--classification', 'OFFICIAL', '--priority', 'routine'];
    const before = sor.documentCount();
    for (const body of ['', '<p> </p>', '<p>&nbsp;</p>\n<div></div>']) {
      const empty = await cli([...marking, '--title', 'Nothing to read', '--body', body]);
      expect(empty.ok).toBe(false);
      expect(empty.text).toContain(
        '--body: the body is empty. A briefing needs text to read; for one that is only an attachment, say so in a sentence',
      );
    }
    const bodyFile = path.join(dir, 'too-long.html');
    fs.writeFileSync(bodyFile, `<p>${'x'.repeat(10_000_000)}</p>`);
    const long = await cli([...marking, '--title', 'Too long', '--body-file', bodyFile]);
    expect(long.ok).toBe(false);
    expect(long.text).toContain(
      '--body: the body is longer than 10 million characters (about 10 MB of text). Shorten it, or move long material into an attached PDF.',
    );
    expect(long.text).not.toMatch(/Too big|<=10000000/);
    expect(sor.documentCount()).toBe(before);
    // A picture alone is something to read.
    const image = await cli([
      ...marking,
      '--title',
      'Chart only',
      '--body',
      '<img src="data:image/png;base64,iVBORw0KGgo=" alt="Chart">',
    ]);
    expect(image.ok).toBe(true);
  });

  it('lists every briefing with its version, marking, priority, recipients and attachments', async () => {
    const id = createdId((await cli(briefing('sam.taylor'))).text);
    const pdf = path.join(dir, 'list-annex.pdf');
    fs.writeFileSync(pdf, '%PDF-1.7\n');
    await cli(['update', id, '--title', 'Listed briefing', '--attach', pdf]);

    const result = await cli(['list']);
    expect(result.ok).toBe(true);
    expect(result.text).toContain(
      `${id}  v2  [OFFICIAL] (priority)  Listed briefing\n` +
        '    shared with: sam.taylor\n' +
        '    attachments: list-annex.pdf',
    );
    // One entry per briefing in the SOR, none left out.
    expect(result.text.match(/^BRF-\d+ {2}v\d+ /gm)).toHaveLength(sor.documentCount());

    const json = await cli(['list', '--json']);
    expect(JSON.parse(json.text)).toEqual({ briefings: sor.list() });
  });

  it('runs as a command: exit code 0 and the output on stdout, 1 and a one-line reason on stderr', async () => {
    const id = createdId((await cli(briefing())).text);
    const env = { ...process.env, ATTACHE_ADMIN_TOKEN: TOKEN, ATTACHE_SOR_URL: url };
    const ok = await runCommand(['share', id, 'alex.morgan'], env);
    expect(ok).toEqual({ code: 0, stdout: `Shared ${id} with alex.morgan.\n`, stderr: '' });
    expect(sor.get(id)?.recipients).toEqual(['alex.morgan']);

    const refused = await runCommand(['unshare', 'BRF-999999', 'alex.morgan'], env);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: 'sor: No briefing "BRF-999999".\n' });
  });

  it('puts what only the server can check in the CLI option names', async () => {
    const result = await cli(['update', sor.list().at(0)?.sorId ?? '', '--title', 'T'.repeat(501)]);
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/^The demo SOR refused this:\n {2}- --title: /);
  });
});
