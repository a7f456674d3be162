// The admin CLI against a real demo SOR admin API: what a briefing officer sees for a wrong
// token or an unknown recipient, and that a refused command changes nothing.
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import { createSorAdminServer } from '../../../server/src/sor/admin-api.js';
import { runAdminCli } from '../../../server/src/sor/admin-cli.js';
import type { DemoSor } from '../../../server/src/sor/demo-sor.sqlite.js';
import { createDemoSor } from '../../../server/src/sor/demo-sor.sqlite.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

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

  it('puts what only the server can check in the CLI option names', async () => {
    const result = await cli(['update', sor.list().at(0)?.sorId ?? '', '--title', 'T'.repeat(501)]);
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/^The demo SOR refused this:\n {2}- --title: /);
  });
});
