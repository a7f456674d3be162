// Local store encryption benchmark (not part of the test suite): `npm run bench:store`.
//
// 10,000 briefings shaped like the fan-out's (a ~3 KB body; every tenth with a 64 KB PDF) are
// written into a fresh PouchDB database the way replication writes them (`bulkDocs`, 50 at a
// time, new_edits: false), then read back the way the reader does: the whole list
// (`allDocs` with documents) and every briefing opened one by one (`get`), plus the PDFs
// (`getAttachment`). Once on plain leveldown (the baseline) and once through
// store.encrypted-leveldown.ts (AES-256-GCM), alternating, BENCH_ROUNDS times each; the median
// of each is reported with the ratio encrypted / plain.
// Env: BENCH_BRIEFINGS (10000), BENCH_ROUNDS (3).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb-node';
import { storeKeyId } from '../../src/main/storage/store-key.js';
import { encryptedLeveldown } from '../../src/main/storage/store.encrypted-leveldown.js';
import { briefing } from '../unit/device/fixtures.js';

const BRIEFINGS = Number(process.env['BENCH_BRIEFINGS'] ?? 10_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const BATCH = 50;
const PDF = ((): string => {
  const bytes = randomBytes(64 * 1024); // compressed PDF streams look random
  bytes.write('%PDF-1.7\n', 0, 'latin1');
  return bytes.toString('base64');
})();
const PARAGRAPH =
  '<p>The delegation arrives on Tuesday; the minister’s remarks should acknowledge the trade ' +
  'figures published last quarter and avoid any commitment on the tariff review before the ' +
  'cabinet meeting. Officials recommend a short statement and no press conference.</p>';

type Variant = 'plain' | 'encrypted';
type Timings = { write: number; list: number; open: number; attachments: number };

function docs(): Array<Record<string, unknown> & { _id: string }> {
  return Array.from({ length: BRIEFINGS }, (_, i) => {
    const sorId = `BRF-${String(i + 1).padStart(6, '0')}`;
    const withPdf = i % 10 === 0;
    return {
      ...briefing(sorId, {
        title: `Briefing ${i + 1}: bilateral visit preparation`,
        bodyHtml: PARAGRAPH.repeat(8),
        attachments: withPdf
          ? [{ name: 'annex.pdf', contentType: 'application/pdf', size: 64 * 1024 }]
          : [],
      }),
      _rev: `1-${'a'.repeat(32)}`,
      ...(withPdf
        ? { _attachments: { 'annex.pdf': { content_type: 'application/pdf', data: PDF } } }
        : {}),
    };
  });
}

function open(variant: Variant, location: string): PouchDB.Database {
  if (variant === 'plain') return new PouchDB(location);
  const dataKey = randomBytes(32);
  const db = encryptedLeveldown({
    dataKey,
    database: 'briefings',
    keyId: storeKeyId(dataKey),
    onIntegrityFailure: (error) => {
      throw error;
    },
    onKeyCheckFailure: (error) => {
      throw error;
    },
  });
  return new PouchDB(location, { db } as PouchDB.Configuration.DatabaseConfiguration);
}

async function time(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function run(variant: Variant, all: ReturnType<typeof docs>): Promise<Timings> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attache-bench-store-${variant}-`));
  const db = open(variant, path.join(dir, 'briefings'));
  try {
    await db.info();
    const write = await time(async () => {
      for (let i = 0; i < all.length; i += BATCH) {
        await db.bulkDocs(all.slice(i, i + BATCH), { new_edits: false });
      }
    });
    let ids: string[] = [];
    const list = await time(async () => {
      const result = await db.allDocs({ include_docs: true });
      if (result.rows.length !== all.length) throw new Error(`${variant}: listed too few`);
      ids = result.rows.map((row) => row.id);
    });
    const opening = await time(async () => {
      for (const id of ids) await db.get(id);
    });
    const attachments = await time(async () => {
      for (const doc of all) {
        if (doc['_attachments']) await db.getAttachment(doc._id, 'annex.pdf');
      }
    });
    return { write, list, open: opening, attachments };
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function main(): Promise<void> {
  const all = docs();
  const results: Record<Variant, Timings[]> = { plain: [], encrypted: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of ['plain', 'encrypted'] as const) {
      const timings = await run(variant, all);
      results[variant].push(timings);
      process.stderr.write(
        `  … round ${round} ${variant}: write ${timings.write.toFixed(0)} ms, list ${timings.list.toFixed(0)} ms, open ${timings.open.toFixed(0)} ms, PDFs ${timings.attachments.toFixed(0)} ms\n`,
      );
    }
  }
  console.log(
    `Local store, ${BRIEFINGS} briefings (${Math.ceil(BRIEFINGS / 10)} with a 64 KB PDF), median of ${ROUNDS} rounds, Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  console.log('operation        plain ms   encrypted ms   encrypted / plain');
  for (const op of ['write', 'list', 'open', 'attachments'] as const) {
    const plain = median(results.plain.map((t) => t[op]));
    const encrypted = median(results.encrypted.map((t) => t[op]));
    console.log(
      `${op.padEnd(15)} ${plain.toFixed(0).padStart(9)} ${encrypted.toFixed(0).padStart(14)} ${(encrypted / plain).toFixed(2).padStart(19)}`,
    );
  }
}

await main();
