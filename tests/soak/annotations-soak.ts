// The annotations soak: a device process writing annotations while it syncs is killed with
// SIGKILL at random points, `rounds` times; then one more process syncs until nothing is
// unsent. Every annotation event the process reported saved (annotations-child.ts prints each
// once the annotations service answered) must then be found exactly once in the device's store,
// which opens sound (every value passes authentication), exactly once in the person's returns
// database on the server, and exactly once in the SOR. The server is the real one on its
// embedded defaults (broker, returns integrator, demo SOR), the device signed in with a token of
// its provider; the keychain is the real one (run inside a keyring session, see the README).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createLogger } from '../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../src/main/secrets/keychain-service.js';
import { openUserStore } from '../../src/main/storage/store.pouch.js';
import { ANNOTATION_EVENT_TYPE } from '../../src/shared/annotations/limits.js';
import { briefingInput, startHarness, waitFor } from '../integration/server/server-harness.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../unit/device/fixtures.js';

const CHILD = join(import.meta.dirname, 'annotations-child.ts');
const USER = 'alex.morgan';

export type AnnotationsSoakResult = {
  readonly rounds: number;
  /** Rounds killed after the process had reported at least one saved annotation. */
  readonly killedWhileWriting: number;
  /** Annotation events reported saved, all found once on the device and on the server. */
  readonly saved: number;
};

type Child = {
  done: Promise<number | null>;
  kill: () => void;
  saved: () => readonly string[];
  output: () => string;
};

type Server = { readonly brokerUrl: string; readonly briefingId: string; token(): Promise<string> };

async function startChild(server: Server, dataDir: string, label: string, settle = false) {
  const args = [dataDir, server.brokerUrl, label, await server.token(), server.briefingId];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, ...args, ...(settle ? ['settle'] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const saved: string[] = [];
  let output = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('saved ')) saved.push(line.slice(6));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') {
        process.stderr.write(`device process ended with ${String(code)}: ${stderr}\n`);
      }
      resolve(code);
    }),
  );
  const handle: Child = {
    done,
    kill: () => child.kill('SIGKILL'),
    saved: () => saved,
    output: () => output,
  };
  return handle;
}

/** How many times each note occurs among annotation event documents. */
function noteCounts(
  docs: ReadonlyArray<{ readonly [field: string]: unknown }>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const doc of docs) {
    if (doc['type'] !== ANNOTATION_EVENT_TYPE || typeof doc['note'] !== 'string') continue;
    counts.set(doc['note'], (counts.get(doc['note']) ?? 0) + 1);
  }
  return counts;
}

export async function runAnnotationsSoak(options: {
  rounds: number;
  log?: (line: string) => void;
}): Promise<AnnotationsSoakResult> {
  const log = options.log ?? (() => undefined);
  const dir = await tempDir('annotations-soak');
  const h = await startHarness({ seedDemoData: false, returnsIntervalMs: 100 });
  const dataDir = join(dir.path, 'device');
  const keychain = createKeytarKeychain({ service: keychainServiceFor(dataDir) });
  try {
    const created = await h.admin('POST', '/briefings', briefingInput('Soak', [USER]));
    const briefingId = `briefing:${(created.body as { sorId: string }).sorId}`;
    const server: Server = {
      brokerUrl: h.server.urls.broker,
      briefingId,
      token: () => h.devToken(USER),
    };
    const saved: string[] = [];
    let killedWhileWriting = 0;
    for (let round = 1; round <= options.rounds; round += 1) {
      const child = await startChild(server, dataDir, `r${round}`);
      // A random point: up to 1.5 s after the process is ready to write (or during start-up,
      // when it is not ready within the first seconds).
      await eventually(
        () => {
          if (!child.output().includes('ready')) throw new Error('not ready yet');
        },
        { timeout: 20_000, interval: 20, what: 'the device process to be ready' },
      ).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1_500));
      child.kill();
      const code = await child.done;
      if (code !== null) throw new Error(`round ${round}: the device process ended by itself`);
      if (child.saved().length > 0) killedWhileWriting += 1;
      saved.push(...child.saved());
      log(`round ${round}: killed after ${child.saved().length} saved`);
    }
    const last = await startChild(server, dataDir, 'settle', true);
    const settled = await Promise.race([
      last.done,
      new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 90_000).unref()),
    ]);
    if (settled !== 0) {
      last.kill();
      throw new Error('the device process did not finish sending');
    }

    // Sound: opened with its key, every value authenticated on the way.
    const logger = createLogger('soak', () => undefined);
    const store = await openUserStore({ dataDir, userId: USER, keychain, logger });
    let onDevice: Map<string, number>;
    try {
      onDevice = noteCounts(await store.listReturnDocs());
      const { pushedSeq } = await store.readSyncState();
      const unsent = await store.countReturnsSince(pushedSeq);
      if (unsent !== 0) throw new Error(`${unsent} returns still unsent after settling`);
    } finally {
      await store.close();
    }
    const token = await h.devToken(USER);
    const listed = await h.broker('/db/returns/_all_docs?include_docs=true', { token });
    const onServer = noteCounts(
      (listed.body as { rows: { doc?: Record<string, unknown> }[] }).rows.flatMap((row) =>
        row.doc ? [row.doc] : [],
      ),
    );
    // The SOR: every event the integrator sent, once in effect (its idempotency key).
    const inSor = await waitFor('every saved annotation in the SOR', async () => {
      const { returns } = (await h.admin('GET', '/returns')).body as {
        returns: { payload: Record<string, unknown> }[];
      };
      const counts = noteCounts(returns.map((r) => ({ ...r.payload, type: 'annotation-event' })));
      return saved.every((note) => (counts.get(note) ?? 0) >= 1) ? counts : undefined;
    });
    const wrong = saved.flatMap((note) => {
      const device = onDevice.get(note) ?? 0;
      const server = onServer.get(note) ?? 0;
      const sor = inSor.get(note) ?? 0;
      return device === 1 && server === 1 && sor === 1
        ? []
        : [`${note}: ${device} on the device, ${server} on the server, ${sor} in the SOR`];
    });
    if (wrong.length > 0) {
      throw new Error(
        `${wrong.length} of ${saved.length} saved annotations not found once: ${wrong.slice(0, 5).join('; ')}`,
      );
    }
    return { rounds: options.rounds, killedWhileWriting, saved: saved.length };
  } finally {
    await h.stop();
    await dir.remove();
  }
}
