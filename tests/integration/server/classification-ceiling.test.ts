// The organisation-wide classification ceiling where people meet it: the admin CLI warns whoever
// shares a briefing Attaché will not deliver, and the demo SOR keeps the delivery notices the
// fan-out sends, also in a database written before notices existed.
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import { createSorAdminServer } from '../../../server/src/demo/sor/admin-api.js';
import { runAdminCli } from '../../../server/src/demo/sor/admin-cli.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { createRestSorAdapter } from '../../../server/src/sor/sor.rest.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const TOKEN = 'ceiling-test-token-0123456789abcdef012345';
let dir: string;
let sor: DemoSor;
let server: http.Server;
let url: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-ceiling-'));
  sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
  sor.addUser('alex.morgan', 'Alex Morgan');
  server = createSorAdminServer({ sor, adminToken: TOKEN, classificationCeiling: 'PROTECTED' });
  url = `http://127.0.0.1:${await listen(server, '127.0.0.1', 0)}`;
});
afterAll(async () => {
  await closeServer(server);
  sor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: readonly string[]): Promise<string> {
  const printed: string[] = [];
  await runAdminCli([...argv, '--url', url], {
    env: { ATTACHE_ADMIN_TOKEN: TOKEN },
    fetch: globalThis.fetch,
    out: (text) => printed.push(text),
  });
  return printed.join('\n');
}

const create = (classification: string, share?: string) => [
  'create',
  '--title',
  'Ceiling test',
  '--body',
  '<p>x</p>',
  '--classification',
  classification,
  '--priority',
  'routine',
  ...(share ? ['--share', share] : []),
];

const WARNING =
  "Warning: This briefing is marked SECRET, above the organisation's ceiling for devices (PROTECTED): Attaché will not deliver it to anyone";

describe('admin CLI and the classification ceiling', () => {
  it('warns when a briefing above the ceiling is shared, at creation or later', async () => {
    const created = await cli(create('secret', 'alex.morgan'));
    expect(created).toContain(WARNING);
    const unshared = await cli(create('secret'));
    expect(unshared).not.toContain('Warning');
    const id = /^Created (BRF-\d+) /.exec(unshared)?.[1] ?? '';
    expect(await cli(['share', id, 'alex.morgan'])).toContain(WARNING);
  });

  it('says nothing for a briefing at or below the ceiling', async () => {
    expect(await cli(create('protected', 'alex.morgan'))).not.toContain('Warning');
  });
});

describe('delivery notices in the SOR', () => {
  it('are stored once per key through the REST contract', async () => {
    const rest = createRestSorAdapter({
      baseUrl: `${url}${SOR_API_PREFIX}`,
      token: TOKEN,
      timeoutMs: 5_000,
    });
    const notice = {
      idempotencyKey: 'withheld:BRF-000001:1',
      sorId: 'BRF-000001',
      version: 1,
      classification: 'SECRET',
      reason: 'above the ceiling',
    };
    expect(await rest.reportWithheld(notice)).toBe('stored');
    expect(await rest.reportWithheld(notice)).toBe('duplicate');
    expect(sor.listDeliveryNotices()).toEqual([
      expect.objectContaining({ ...notice, receivedAt: expect.any(String) as unknown }),
    ]);
  });

  it('are kept by a demo SOR whose database predates them', async () => {
    const file = path.join(dir, 'older.sqlite');
    createDemoSor({ file }).close();
    // The previous release's database: no delivery_notices table.
    const raw = new Database(file);
    raw.exec('DROP TABLE delivery_notices');
    raw.close();
    const reopened = createDemoSor({ file });
    try {
      await reopened.reportWithheld({
        idempotencyKey: 'k',
        sorId: 'BRF-1',
        version: 2,
        classification: 'TOP SECRET',
        reason: 'r',
      });
      expect(reopened.listDeliveryNotices().map((n) => n.sorId)).toEqual(['BRF-1']);
    } finally {
      reopened.close();
    }
  });
});

describe('the fan-out under an organisation-wide ceiling (real server)', () => {
  it('does not publish above it, records each recipient in the audit trail, and tells the SOR why', async () => {
    const h = await startHarness({ classificationCeiling: 'PROTECTED' });
    try {
      const token = await h.devToken('fran.oneill');
      const create = (title: string, classification: string) =>
        h.admin('POST', '/briefings', briefingInput(title, ['fran.oneill'], { classification }));
      const withheld = await create('Above the ceiling', 'SECRET');
      expect(withheld.body).toMatchObject({ warnings: [expect.stringContaining('PROTECTED')] });
      const { sorId } = withheld.body as { sorId: string };
      const delivered = (await create('At the ceiling', 'PROTECTED')).body as { sorId: string };
      // The one at the ceiling arrives; by then the one above it was decided too (same batch or earlier).
      await waitFor('the PROTECTED briefing', async () => {
        const res = await h.broker(`/db/briefings/briefing:${delivered.sorId}`, { token });
        return res.status === 200 ? true : undefined;
      });
      const trail = await waitFor('the withheld record', () => {
        const lines = fs
          .readFileSync(path.join(h.dataDir, 'audit/audit.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        const record = lines.find((r) => r['action'] === 'fanout.withheld');
        return Promise.resolve(record);
      });
      expect(trail).toMatchObject({
        user: 'fran.oneill',
        decision: 'refused',
        sorId,
        reason: expect.stringContaining('above the organisation') as unknown,
      });
      expect((await h.broker(`/db/briefings/briefing:${sorId}`, { token })).status).toBe(404);
      const notices = (await h.admin('GET', '/delivery-notices')).body;
      expect(notices).toMatchObject({ notices: [{ sorId, version: 1, classification: 'SECRET' }] });
    } finally {
      await h.stop();
    }
  });
});
