// The decisions of site replication, case by case: whose databases replicate, which documents
// say so, what a rerun changes, how the scheduler's answer is read; and the sites command's
// messages for what an operator gets wrong (CouchDB itself is in
// tests/integration/server/couchdb-sites.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CouchDoc } from '../../../server/src/couch/types.js';
import {
  NO_DESIGN_DOCS,
  peopleOf,
  planReplications,
  wantedReplications,
} from '../../../server/src/sites/replication-plan.js';
import {
  summarizeReplications,
  toReplicationStatus,
} from '../../../server/src/sites/replication-status.js';
import { runSitesCli } from '../../../server/src/sites/sites-cli.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';

const hex = (user: string) => Buffer.from(user, 'utf8').toString('hex');
const sites = (password = 'primary-secret') => ({
  primary: { url: 'https://a.example:6984/', credentials: { username: 'site-b', password } },
  secondary: {
    url: 'http://127.0.0.1:5984',
    credentials: { username: 'admin-b', password: 'local-secret' },
  },
});

describe('whose databases replicate', () => {
  it('takes people with both databases at the primary, and nothing that is not a user database of ours', () => {
    const dbs = [
      '_users',
      'attache-control',
      `userdb-${hex('alex.morgan')}`,
      `returns-${hex('alex.morgan')}`,
      `userdb-${hex('zoë')}`,
      `returns-${hex('zoë')}`,
      `userdb-${hex('only.briefings')}`,
      `userdb-${hex('_admin')}`,
      `returns-${hex('_admin')}`,
      'userdb-zz',
      'userdb-ff',
      'returns-ff',
    ];
    expect(peopleOf(dbs)).toEqual(['alex.morgan', 'zoë']);
  });
});

describe('the replication documents', () => {
  it('are three per person: briefings from the primary, returns both ways, design documents left out', () => {
    const wanted = wantedReplications(['alex.morgan'], sites());
    const names = userDbNames('alex.morgan');
    expect(wanted.map((w) => [w.id, w.direction])).toEqual([
      [`attache:${names.briefings}:from-primary`, 'briefings-from-primary'],
      [`attache:${names.returns}:from-primary`, 'returns-from-primary'],
      [`attache:${names.returns}:to-primary`, 'returns-to-primary'],
    ]);
    const [briefings, , toPrimary] = wanted;
    expect(briefings?.doc).toMatchObject({
      source: {
        url: `https://a.example:6984/${names.briefings}`,
        auth: { basic: { username: 'site-b', password: 'primary-secret' } },
      },
      target: {
        url: `http://127.0.0.1:5984/${names.briefings}`,
        auth: { basic: { username: 'admin-b', password: 'local-secret' } },
      },
      continuous: true,
      create_target: false,
      selector: NO_DESIGN_DOCS,
    });
    expect(toPrimary?.doc).toMatchObject({
      source: { url: `http://127.0.0.1:5984/${names.returns}` },
      target: { url: `https://a.example:6984/${names.returns}` },
    });
    expect(new RegExp(NO_DESIGN_DOCS._id.$regex).test('_design/attache')).toBe(false);
    expect(new RegExp(NO_DESIGN_DOCS._id.$regex).test('briefing:BRF-000001')).toBe(true);
  });
});

describe('what a rerun changes', () => {
  const current = (docs: readonly CouchDoc[], rev = '1-a') =>
    docs.map((d) => ({ ...d, _rev: rev }));

  it('creates what is missing and leaves what is there untouched', () => {
    const wanted = wantedReplications(['alex.morgan', 'sam.taylor'], sites());
    const plan = planReplications(current(wanted.slice(0, 3).map((w) => w.doc)), wanted);
    expect(plan.create.map((d) => d._id)).toEqual(wanted.slice(3).map((w) => w.id));
    expect(plan).toMatchObject({ update: [], remove: [], unchanged: 3 });
  });

  it('rewrites a document over its revision when a setting changed (a new password file)', () => {
    const before = wantedReplications(['alex.morgan'], sites('old-secret'));
    const after = wantedReplications(['alex.morgan'], sites('new-secret'));
    const plan = planReplications(
      current(
        before.map((w) => w.doc),
        '3-x',
      ),
      after,
    );
    expect(plan.update.map((d) => [d._id, d._rev])).toEqual(after.map((w) => [w.id, '3-x']));
    expect(plan.update.every((d) => JSON.stringify(d).includes('new-secret'))).toBe(true);
    expect(plan).toMatchObject({ create: [], remove: [], unchanged: 0 });
  });

  it('removes the documents of someone the primary no longer has, and never touches others', () => {
    const gone = wantedReplications(['left.us'], sites());
    const foreign = { _id: 'nightly-backup', _rev: '1-b', source: 'x', target: 'y' };
    const plan = planReplications([...current(gone.map((w) => w.doc)), foreign], []);
    expect(plan.remove).toEqual(gone.map((w) => ({ _id: w.id, _rev: '1-a' })));
    expect(plan).toMatchObject({ create: [], update: [], unchanged: 0 });
  });
});

describe("the scheduler's answer", () => {
  const briefings = `attache:userdb-${hex('a')}:from-primary`;
  const toPrimary = `attache:returns-${hex('a')}:to-primary`;
  const entries = [
    {
      doc_id: briefings,
      state: 'running',
      error_count: 0,
      last_updated: '2026-12-06T06:00:00Z',
      info: { changes_pending: 7, docs_written: 3, doc_write_failures: 0 },
    },
    {
      doc_id: toPrimary,
      state: 'crashing',
      error_count: 4,
      info: { error: 'db_not_found: could not open https://a.example/returns-61' },
    },
    { doc_id: 'someone-elses', state: 'running', info: { changes_pending: 100 } },
  ];

  it('reads state, lag and error of Attaché’s replications and nothing else', () => {
    const statuses = entries.map(toReplicationStatus);
    expect(statuses[0]).toMatchObject({
      id: briefings,
      direction: 'briefings-from-primary',
      state: 'running',
      changesPending: 7,
      error: null,
    });
    expect(statuses[1]).toMatchObject({
      direction: 'returns-to-primary',
      state: 'crashing',
      changesPending: null,
      errorCount: 4,
      error: 'db_not_found: could not open https://a.example/returns-61',
    });
    expect(statuses[2]).toBeNull();
  });

  it('takes the lag from the sequences where CouchDB reports no changes pending (continuous jobs)', () => {
    const lag = (info: Record<string, unknown>) =>
      toReplicationStatus({ doc_id: briefings, state: 'running', info })?.changesPending;
    expect(lag({ changes_pending: null, source_seq: '9-g1AAAA', through_seq: '4-g1AAAB' })).toBe(5);
    expect(lag({ changes_pending: null, source_seq: '4-g1AAAA', through_seq: '4-g1AAAA' })).toBe(0);
    expect(lag({ changes_pending: 2, source_seq: '9-g1AAAA', through_seq: '4-g1AAAB' })).toBe(2);
    expect(lag({ changes_pending: null, source_seq: 'opaque', through_seq: '4-x' })).toBeNull();
  });

  it('sums them per direction and state', () => {
    const statuses = entries.map(toReplicationStatus).filter((s) => s !== null);
    const summary = summarizeReplications(statuses);
    expect(summary['briefings-from-primary']).toMatchObject({
      changesPending: 7,
      maxChangesPending: 7,
    });
    expect(summary['briefings-from-primary'].byState.running).toBe(1);
    expect(summary['returns-to-primary'].byState.crashing).toBe(1);
    expect(summary['returns-from-primary'].byState.running).toBe(0);
  });
});

describe('the sites command', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-sites-'));
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, 'local-secret-value\n', { mode: 0o600 });
  const primaryFile = path.join(dir, 'primary');
  fs.writeFileSync(primaryFile, 'primary-secret-value\n', { mode: 0o600 });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = {
    ATTACHE_COUCH_URL: 'http://127.0.0.1:5984',
    ATTACHE_COUCH_USER: 'admin-b',
    ATTACHE_COUCH_PASSWORD_FILE: passwordFile,
  };
  /** Stands in for both CouchDBs: answers every request with `status` (a fake, named as such). */
  const fakeCouch =
    (status: number, body: unknown): typeof fetch =>
    () =>
      Promise.resolve(new Response(JSON.stringify(body), { status }));
  const run = async (argv: string[], e: Record<string, string> = env, f = fakeCouch(200, {})) => {
    const printed: string[] = [];
    try {
      await runSitesCli(argv, { env: e, fetch: f, out: (t) => printed.push(t) });
      return { ok: true, text: printed.join('\n') };
    } catch (error) {
      return { ok: false, text: (error as Error).message };
    }
  };

  it('names the settings it needs for this site and for the primary', async () => {
    const refusal = async (argv: string[], e?: Record<string, string>) => {
      const result = await run(argv, e);
      expect(result.ok, result.text).toBe(false);
      return result.text;
    };
    expect(await refusal(['status'], {})).toContain(
      'ATTACHE_COUCH_URL, ATTACHE_COUCH_USER and ATTACHE_COUCH_PASSWORD_FILE',
    );
    expect(await refusal(['sync'])).toContain(
      '--primary-url, --primary-user and --primary-password-file',
    );
    const missing = path.join(dir, 'none');
    expect(
      await refusal([
        'sync',
        '--primary-url',
        'https://a',
        '--primary-user',
        'b',
        '--primary-password-file',
        missing,
      ]),
    ).toContain(`Cannot read --primary-password-file ${missing}`);
    expect(await refusal(['resync'])).toContain('Unknown command "resync"');
  });

  it('says which site refused and why, without either password', async () => {
    const refused = await run(
      [
        'sync',
        '--primary-url',
        'https://a.example',
        '--primary-user',
        'site-b',
        '--primary-password-file',
        primaryFile,
      ],
      env,
      fakeCouch(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' }),
    );
    expect(refused.ok).toBe(false);
    expect(refused.text).toContain(
      "The primary site's CouchDB at https://a.example refused to list its databases: 401 Name or password is incorrect.",
    );
    expect(refused.text).not.toContain('secret-value');
  });

  it('lists each replication with its state and lag', async () => {
    const answer = {
      docs: [
        {
          doc_id: `attache:userdb-${hex('a')}:from-primary`,
          state: 'running',
          last_updated: '2026-12-06T06:00:00Z',
          info: { changes_pending: 2 },
        },
        {
          doc_id: `attache:returns-${hex('a')}:to-primary`,
          state: 'crashing',
          error_count: 3,
          info: { error: 'unauthorized' },
        },
      ],
    };
    const { text } = await run(['status'], env, fakeCouch(200, answer));
    expect(text.split('\n')).toEqual([
      `attache:returns-${hex('a')}:to-primary  crashing  lag unknown  (updated never); 3 errors, last: unauthorized`,
      `attache:userdb-${hex('a')}:from-primary  running  2 changes pending  (updated 2026-12-06T06:00:00Z)`,
      '2 replications; 2 not running or behind.',
    ]);
  });
});
