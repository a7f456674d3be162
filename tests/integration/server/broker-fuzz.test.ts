// Bounded fuzz of the broker (issue 9): for every endpoint and method the allow-list lists, a
// signed-in reader sends generated query strings (listed and unlisted names; valid, invalid,
// huge, unicode, percent-encoded, double-encoded, raw and repeated values) and bodies, through
// to the real CouchDB-protocol server. Every answer must be a known status, every failure the
// uniform body, nothing of another person may appear, and afterwards the broker, ops and the
// embedded server must still answer. fast-check generates and shrinks; a failure prints the seed
// (ATTACHE_FUZZ_SEED=<seed> replays it). Bounded by a number of runs and a time limit per
// endpoint, about a minute in all.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_LIST } from '../../../server/src/broker/allow-list.js';
import type { Endpoint, EndpointRule } from '../../../server/src/broker/allow-list.js';
import { SAMPLE_REV } from '../../../server/src/broker/query-rules.js';
import { brokerRequest } from './broker-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';
const B = 'sam.taylor';
const RUNS_PER_ENDPOINT = 150;
const TIME_PER_ENDPOINT_MS = 2_000;
const SEED = Number(process.env['ATTACHE_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
/**
 * What the broker may answer: CouchDB's statuses for allowed reads and writes, its own refusals,
 * and Node's 431 for a request line over its header limit (16 KiB).
 */
const KNOWN_STATUSES = [200, 201, 202, 304, 400, 403, 404, 409, 412, 413, 416, 429, 431, 502];
const UNIFORM_FAILURE = JSON.stringify({ error: 'bad_gateway' });

let h: Harness;
let tokenA: string;
let docA: string;
let revA: string;
let secretOfB: string;

const allNames = [
  ...new Set(
    Object.values(ALLOW_LIST).flatMap((endpoints) =>
      Object.values(endpoints).flatMap((methods) =>
        Object.values(methods ?? {}).flatMap((rule) => Object.keys(rule.params)),
      ),
    ),
  ),
];
const allSamples = Object.values(ALLOW_LIST).flatMap((endpoints) =>
  Object.values(endpoints).flatMap((methods) =>
    Object.values(methods ?? {}).flatMap((rule) =>
      Object.values(rule.params).flatMap((p) => [...p.samples.valid, ...p.samples.invalid]),
    ),
  ),
);

/** Percent-encodes what an HTTP request line cannot carry, leaving `&`, `=`, `%`, `#` raw. */
const rawEncode = (text: string) =>
  [...text]
    .map((ch) => (/[\x21-\x7e]/.test(ch) ? ch : encodeURIComponent(ch)))
    .join('')
    .replace(/%(?![0-9A-Fa-f]{2})/g, (m, offset: number) => (offset % 2 === 0 ? m : '%25'));

const everyByte = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const encodings = fc.constantFrom(
  encodeURIComponent,
  rawEncode,
  everyByte,
  (t: string) => encodeURIComponent(encodeURIComponent(t)),
  (t: string) => encodeURIComponent(t).replace(/%20/g, '+'),
);

const names = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...allNames) },
  { weight: 2, arbitrary: fc.constantFrom('filter', 'view', 'selector', 'doc_ids', 'keys', 'key') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'FEED', 'since[]'),
  },
);

const values = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...allSamples) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'all',
        'now',
        'true',
        'continuous',
        revA,
        `["${revA}"]`,
        `"${docA}"`,
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 1_000, maxLength: 3_000 }) },
  );

/** Anything at all: listed and unlisted names, any values, any encoding, repeats. */
const anyQuery = () =>
  fc
    .array(fc.tuple(names, values(), encodings), { maxLength: 6 })
    .map((pairs) => pairs.map(([n, v, enc]) => `${enc(n)}=${enc(v)}`).join('&'));

/** The rule's own parameters in any combination, mostly with values it accepts: these reach CouchDB. */
const listedQuery = (rule: EndpointRule) => {
  const entries = Object.entries(rule.params);
  if (entries.length === 0) return fc.constant('');
  return fc
    .subarray(entries)
    .chain((picked) =>
      fc.tuple(
        ...picked.map(([name, param]) =>
          fc
            .oneof(
              { weight: 4, arbitrary: fc.constantFrom(...param.samples.valid) },
              { weight: 1, arbitrary: fc.constantFrom(`["${revA}"]`, revA, 'all') },
              { weight: 1, arbitrary: values() },
            )
            .map((value) => `${name}=${encodeURIComponent(value)}`),
        ),
      ),
    )
    .map((parts) => parts.join('&'));
};

const queries = (rule: EndpointRule) =>
  fc.oneof({ weight: 1, arbitrary: anyQuery() }, { weight: 1, arbitrary: listedQuery(rule) });

const bodies = (rule: EndpointRule) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(rule.body?.sample) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((t) => t as unknown) },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.record(
            {
              id: fc.oneof(
                fc.constantFrom(docA, '_design/attache', '_local/_security'),
                fc.string(),
              ),
              rev: fc.oneof(fc.constantFrom(revA, SAMPLE_REV), fc.string()),
              atts_since: fc.array(fc.constantFrom(revA, SAMPLE_REV, 'x')),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 5 },
        )
        .map((docs) => ({ docs })),
    },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.string(), fc.array(fc.constantFrom(revA, SAMPLE_REV, 'y'))),
    },
  );

function pathsFor(alias: string, endpoint: Endpoint): fc.Arbitrary<string> {
  const base = `/db/${alias}`;
  switch (endpoint) {
    case 'database':
      return fc.constant(base);
    case 'document':
      return fc.constantFrom(`${base}/${encodeURIComponent(docA)}`, `${base}/briefing%3Anone`);
    case 'attachment':
      return fc.constantFrom(
        `${base}/${encodeURIComponent(docA)}/annex.pdf`,
        `${base}/${encodeURIComponent(docA)}/missing.pdf`,
      );
    default:
      return fc.constant(`${base}/_${endpoint}`);
  }
}

const LISTED = Object.entries(ALLOW_LIST).flatMap(([alias, endpoints]) =>
  Object.entries(endpoints).flatMap(([endpoint, methods]) =>
    Object.entries(methods ?? {}).map(
      ([method, rule]) =>
        [`${method} /db/${alias} ${endpoint}`, method, alias, endpoint as Endpoint, rule] as const,
    ),
  ),
);

let requests = 0;
let failures = 0;

beforeAll(async () => {
  h = await startHarness({
    seedDemoData: false,
    brokerRateBurst: 100_000,
    brokerRatePerSec: 10_000,
    brokerMaxOpenPerUser: 16,
  });
  tokenA = await h.devToken(A);
  secretOfB = `For Sam only ${randomUUID()}`;
  await h.admin('POST', '/briefings', briefingInput(secretOfB, [B]));
  const created = await h.admin(
    'POST',
    '/briefings',
    briefingInput('For Alex only', [A], {
      attachments: [
        {
          name: 'annex.pdf',
          contentType: 'application/pdf',
          dataBase64: Buffer.from('%PDF-1.4\n').toString('base64'),
        },
      ],
    }),
  );
  docA = `briefing:${(created.body as { sorId: string }).sorId}`;
  revA = await waitFor('A’s briefing delivered', async () => {
    const reply = await brokerRequest(h, 'GET', `/db/briefings/${encodeURIComponent(docA)}`, {
      token: tokenA,
    });
    return reply.status === 200 ? (JSON.parse(reply.text) as { _rev: string })._rev : undefined;
  });
  // B's briefing reached B's database: a leak would have something to leak.
  const tokenB = await h.devToken(B);
  await waitFor('B’s briefing delivered', async () => {
    const reply = await brokerRequest(h, 'GET', '/db/briefings/_all_docs?include_docs=true', {
      token: tokenB,
    });
    return reply.text.includes(secretOfB) ? true : undefined;
  });
});
afterAll(async () => {
  console.info(
    `broker fuzz: seed ${SEED}, ${requests} requests, ${failures} upstream failures answered uniformly`,
  );
  await h?.stop();
});

describe('fuzzing every allowed endpoint’s parameters and bodies', () => {
  it.each(LISTED)('%s', async (_, method, alias, endpoint, rule) => {
    await fc.assert(
      fc.asyncProperty(
        pathsFor(alias, endpoint),
        queries(rule),
        rule.body ? bodies(rule) : fc.constant(undefined),
        async (path, query, body) => {
          requests += 1;
          const reply = await brokerRequest(h, method, query === '' ? path : `${path}?${query}`, {
            token: tokenA,
            ...(body === undefined ? {} : { body: body === undefined ? '' : body }),
            cutAfterMs: 300,
          });
          expect(KNOWN_STATUSES, `${reply.status} ${reply.text.slice(0, 200)}`).toContain(
            reply.status,
          );
          if (reply.status >= 500) {
            failures += 1;
            if (method !== 'HEAD') expect(reply.text.trim()).toBe(UNIFORM_FAILURE);
          }
          expect(reply.text).not.toContain(secretOfB);
          expect(reply.text).not.toContain(h.dbNames(B).briefings);
          expect(reply.text).not.toMatch(/TypeError|is not a function|\n\s+at /);
        },
      ),
      {
        seed: SEED,
        numRuns: RUNS_PER_ENDPOINT,
        interruptAfterTimeLimit: TIME_PER_ENDPOINT_MS,
      },
    );
  });

  it('leaves the broker, ops and the CouchDB-protocol server up and answering', async () => {
    expect((await brokerRequest(h, 'GET', '/db/briefings', { token: tokenA })).status).toBe(200);
    expect((await fetch(`${h.server.urls.ops}/healthz`)).status).toBe(200);
    expect((await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}`)).status).toBe(200);
    const own = await brokerRequest(h, 'GET', `/db/briefings/${encodeURIComponent(docA)}`, {
      token: tokenA,
    });
    expect(JSON.parse(own.text)).toMatchObject({ _id: docA, _rev: revA });
    expect(requests).toBeGreaterThan(LISTED.length * 10);
  });
});
