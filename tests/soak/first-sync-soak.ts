// The first-sync soak: a device process pulling a first sync is killed with SIGKILL at random
// points, `rounds` times, then left to finish. Every restart must resume from its checkpoint and
// the end must be complete and sound: the store opens (every value passes authentication), it
// holds every revision the source holds with every attachment's bytes, and its checkpoint says
// the first sync is verified. The source is a CouchDB-protocol server on LevelDB standing in for
// the broker (tests/unit/device/couch-source.ts); the keychain is the real one (run inside a
// keyring session, see the README).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLogger } from '../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../src/main/secrets/keychain-service.js';
import { openUserStore } from '../../src/main/storage/store.pouch.js';
import { eventually } from '../support/eventually.js';
import { startCouchSource } from '../unit/device/couch-source.js';
import { briefing, tempDir } from '../unit/device/fixtures.js';

const CHILD = join(import.meta.dirname, 'first-sync-child.ts');

export type SoakResult = {
  readonly rounds: number;
  /** Rounds killed after at least one checkpoint (mid-sync, not during start-up). */
  readonly killedMidSync: number;
  readonly briefings: number;
};

type Child = { done: Promise<number | null>; kill: () => void; checkpoints: () => number };

function startChild(dataDir: string, url: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let checkpoints = 0;
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    checkpoints += chunk.split('\n').filter((line) => line.startsWith('checkpoint')).length;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') {
        process.stderr.write(`device process ended with ${String(code)}: ${stderr}\n`);
      }
      resolve(code);
    }),
  );
  return { done, kill: () => child.kill('SIGKILL'), checkpoints: () => checkpoints };
}

export async function runFirstSyncSoak(options: {
  rounds: number;
  briefings: number;
  /** The latest a kill comes after the first checkpoint (default 1.5 s). */
  maxKillDelayMs?: number;
  log?: (line: string) => void;
}): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const dir = await tempDir('soak');
  const couch = await startCouchSource(join(dir.path, 'server'));
  const dataDir = join(dir.path, 'device');
  const keychain = createKeytarKeychain({ service: keychainServiceFor(dataDir) });
  try {
    const source = couch.db('briefings');
    const digests = new Map<string, string>();
    for (let start = 0; start < options.briefings; start += 100) {
      await source.bulkDocs(
        Array.from({ length: Math.min(100, options.briefings - start) }, (_, k) => {
          const i = start + k;
          if (i % 5 !== 0) return briefing(`soak-${i}`);
          const bytes = randomBytes(16 * 1024);
          digests.set(
            `briefing:soak-${i}`,
            createHash('sha256').update(new Uint8Array(bytes)).digest('hex'),
          );
          return {
            ...briefing(`soak-${i}`),
            _attachments: {
              'paper.pdf': { content_type: 'application/pdf', data: bytes.toString('base64') },
            },
          };
        }),
      );
    }
    let killedMidSync = 0;
    for (let round = 1; round <= options.rounds; round += 1) {
      const child = startChild(dataDir, couch.url);
      // A random point: up to `maxKillDelayMs` after the process has written its first
      // checkpoint (or during start-up, when it has not written one within the first seconds).
      const started = await eventually(
        () => {
          if (child.checkpoints() === 0) throw new Error('no checkpoint yet');
        },
        { timeout: 20_000, interval: 20, what: 'the first checkpoint' },
      ).then(
        () => true,
        () => false,
      );
      const delay = Math.random() * (options.maxKillDelayMs ?? 1_500);
      await new Promise((resolve) => setTimeout(resolve, delay));
      const midSync = started && child.checkpoints() > 0;
      child.kill();
      const code = await child.done;
      if (code === 0) {
        log(`round ${round}: the first sync completed before the kill`);
        break;
      }
      if (midSync) killedMidSync += 1;
      log(`round ${round}: killed after ${child.checkpoints()} checkpoints`);
    }
    const last = startChild(dataDir, couch.url);
    if ((await last.done) !== 0) throw new Error('the device process did not finish the sync');

    // Sound and complete: opened with its key, every value authenticated on the way.
    const logger = createLogger('soak', () => undefined);
    const store = await openUserStore({ dataDir, userId: 'alex.morgan', keychain, logger });
    try {
      const held = new Map((await store.listBriefingDocs()).map((doc) => [doc._id, doc._rev]));
      const expected = await source.allDocs();
      const wrong = expected.rows.filter((row) => held.get(row.id) !== row.value.rev);
      if (wrong.length > 0 || held.size !== expected.rows.length) {
        throw new Error(
          `the store differs from the source: ${wrong.length} wrong, ${held.size} held`,
        );
      }
      for (const [id, digest] of digests) {
        const attachment = await store.getBriefingAttachment(id, 'paper.pdf');
        const got =
          attachment && createHash('sha256').update(new Uint8Array(attachment.data)).digest('hex');
        if (got !== digest) throw new Error(`the attachment of ${id} is missing or altered`);
      }
      const checkpoint = await store.pullTarget.readCheckpoint();
      if (!checkpoint?.verified) throw new Error('the first sync is not marked complete');
    } finally {
      await store.close();
    }
    return { rounds: options.rounds, killedMidSync, briefings: options.briefings };
  } finally {
    await couch.close();
    await dir.remove();
  }
}
