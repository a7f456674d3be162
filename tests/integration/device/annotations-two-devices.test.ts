// One person, two devices (two stores in two folders, each with its data key in the real OS
// keychain), through the real embedded server and auth broker: what one device annotates
// reaches the other while both are online; what both annotate offline converges once they
// reconnect, to the same marks on both, the losing text of a note edited on both kept in its
// history; and after an unshare the briefing's annotations reach the server, then leave the
// device, quotes and notes with them, down to the raw files.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { AnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { createAnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { storeDatabasePaths } from '../../../src/main/storage/store-folder.js';
import { readStoreKey } from '../../../src/main/storage/store-key.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { createSyncService } from '../../../src/main/sync/sync-service.js';
import type { SyncService } from '../../../src/main/sync/types.js';
import type { LogRecord } from '../../../src/main/logging/logger.js';
import type { Annotation } from '../../../src/shared/annotations/fold.js';
import { memoryLogger } from '../../unit/device/fixtures.js';
import { decryptedEntries, filesContaining } from '../../unit/device/raw-store.js';
import type { Harness } from '../server/server-harness.js';
import { briefingInput, startHarness, waitFor } from '../server/server-harness.js';
import { keychainDir } from './keychain-dir.js';

const USER = 'nina.patel';

type Device = {
  readonly name: string;
  readonly store: UserStore;
  readonly annotations: AnnotationsService;
  readonly sync: SyncService;
  readonly dir: Awaited<ReturnType<typeof keychainDir>>;
  /** Returns-database changes the device was told of (what the workspace turns into `briefings:changed`). */
  readonly returnsChanges: () => number;
  /** What the device logged, for a failure to show. */
  readonly records: readonly LogRecord[];
};

let h: Harness;
const devices: Device[] = [];

async function share(title: string, bodyHtml: string): Promise<string> {
  const reply = await h.admin('POST', '/briefings', briefingInput(title, [USER], { bodyHtml }));
  if (reply.status !== 201) throw new Error(`sharing ${title}: ${reply.status}`);
  return (reply.body as { sorId: string }).sorId;
}

async function openDevice(name: string): Promise<Device> {
  const dir = await keychainDir(`two-devices-${name}`);
  const { logger, records } = memoryLogger();
  const store = await openUserStore({
    dataDir: dir.path,
    userId: USER,
    keychain: dir.keychain,
    logger,
  });
  let changes = 0;
  store.onReturnsChange(() => (changes += 1));
  const device: Device = {
    name,
    store,
    dir,
    annotations: createAnnotationsService({ store, deviceId: randomUUID(), logger }),
    sync: createSyncService({
      store,
      brokerUrl: h.server.urls.broker,
      tokenProvider: { getAccessToken: () => h.devToken(USER) },
      logger,
      backOff: { initialMs: 100, maxMs: 500 },
      purgeFallbackMs: 1_000,
      pullTuning: { longPollMs: 2_000 },
    }),
    returnsChanges: () => changes,
    records,
  };
  devices.push(device);
  return device;
}

async function onDevice(device: Device, briefingId: string): Promise<void> {
  await waitFor(`${briefingId} on the ${device.name}`, async () =>
    (await device.store.getBriefingDoc(briefingId)) ? true : undefined,
  );
}

/** What the person sees of a briefing's marks, with every event of each. */
async function marks(device: Device, briefingId: string): Promise<readonly Annotation[]> {
  return device.annotations.list(briefingId);
}

async function upToDate(device: Device): Promise<void> {
  await waitFor(
    `the ${device.name} up to date`,
    () => Promise.resolve(device.sync.status().state === 'up-to-date' || undefined),
    20_000,
  );
}

/** The person's returns on the server, as the server's CouchDB holds them. */
async function serverReturns(): Promise<Array<Record<string, unknown>>> {
  const reply = await h.couchAs(
    USER,
    'GET',
    `/${encodeURIComponent(h.dbNames(USER).returns)}/_all_docs?include_docs=true`,
  );
  return (reply.body as { rows: Array<{ id: string; doc: Record<string, unknown> }> }).rows
    .filter((row) => !row.id.startsWith('_design/'))
    .map((row) => row.doc);
}

let laptop: Device;
let tablet: Device;
let briefingId: string;
const TEXT = 'The committee will consider the fiscal outlook before Cabinet meets on Monday.';

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  briefingId = `briefing:${await share('Fiscal outlook', `<p>${TEXT}</p>`)}`;
  laptop = await openDevice('laptop');
  tablet = await openDevice('tablet');
  laptop.sync.start();
  tablet.sync.start();
  await onDevice(laptop, briefingId);
  await onDevice(tablet, briefingId);
}, 120_000);

afterAll(async () => {
  for (const device of devices) {
    await device.sync.stop();
    await device.store.close();
    await device.dir.remove();
  }
  await h?.stop();
});

const quote = (exact: string) => {
  const start = TEXT.indexOf(exact);
  return {
    quote: { exact, prefix: TEXT.slice(0, start), suffix: TEXT.slice(start + exact.length) },
    position: { start, end: start + exact.length },
  };
};

describe('annotations between two devices of one person', () => {
  it('shows a note made on one device on the other while both are online, never as unsent there', async () => {
    const before = tablet.returnsChanges();
    const saved = await laptop.annotations.save({
      action: 'create',
      briefingId,
      ...quote('fiscal outlook'),
      colour: 'yellow',
      note: 'Ask Treasury for the latest forecast',
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const arrived = await waitFor('the laptop’s note on the tablet', async () => {
      const found = (await marks(tablet, briefingId)).find((a) => a.id === saved.value.id);
      return found ?? undefined;
    });
    expect(arrived.note).toBe('Ask Treasury for the latest forecast');
    // The tablet's reader is told (the workspace turns this into `briefings:changed`).
    await waitFor('the tablet told of the change', () =>
      Promise.resolve(tablet.returnsChanges() > before || undefined),
    );
    // What came from the server is not the tablet's to send.
    const { pushedSeq } = await tablet.store.readSyncState();
    expect(await tablet.store.countReturnsSince(pushedSeq)).toBe(0);
    await upToDate(tablet);
    expect(tablet.sync.status().pendingUploads).toBe(0);
  }, 60_000);

  it('converges after both devices annotate offline, keeping the losing edit in the history', async () => {
    const [shared] = await marks(laptop, briefingId);
    if (!shared) throw new Error('no shared note');
    await laptop.sync.stop();
    await tablet.sync.stop();

    const onLaptop = await laptop.annotations.save({
      action: 'edit',
      annotationId: shared.id,
      note: 'Laptop: the forecast is due Friday',
    });
    const onTablet = await tablet.annotations.save({
      action: 'edit',
      annotationId: shared.id,
      note: 'Tablet: ask for the risks too',
    });
    const laptopOwn = await laptop.annotations.save({
      action: 'create',
      briefingId,
      note: 'General note written on the laptop',
    });
    const tabletOwn = await tablet.annotations.save({
      action: 'create',
      briefingId,
      ...quote('Cabinet meets on Monday'),
      colour: 'green',
      note: '',
    });
    for (const result of [onLaptop, onTablet, laptopOwn, tabletOwn]) {
      if (!result.ok) throw new Error(result.error.message);
    }
    // Offline, each device's own marks are unsent there; nothing else.
    expect(await laptop.sync.sendPending(0)).toBe(2);
    expect(await tablet.sync.sendPending(0)).toBe(2);

    laptop.sync.start();
    tablet.sync.start();
    const converged = await waitFor(
      'both devices folding to the same marks',
      async () => {
        const [a, b] = [await marks(laptop, briefingId), await marks(tablet, briefingId)];
        return a.length === 3 && JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
      },
      30_000,
    );
    const note = converged.find((a) => a.id === shared.id);
    if (!note) throw new Error('the shared note is gone');
    const texts = ['Laptop: the forecast is due Friday', 'Tablet: ask for the risks too'];
    // One edit wins on both devices; the other is kept, visible, as a concurrent edit.
    expect(texts).toContain(note.note);
    const loser = texts.find((text) => text !== note.note);
    expect(note.concurrentEdits.map((edit) => edit.note)).toContain(loser);
    expect(note.history.map((entry) => entry.note)).toEqual(expect.arrayContaining(texts));
    await upToDate(laptop);
    await upToDate(tablet);
    expect(laptop.sync.status().pendingUploads).toBe(0);
    expect(tablet.sync.status().pendingUploads).toBe(0);
  }, 90_000);

  it('sends an unshared briefing’s unsent annotations, then takes their quotes off both devices', async () => {
    // Timing between two devices' purges and pushes: should it ever fail, what each did says why.
    const logged = devices.map((device) => device.records.length);
    onTestFailed(() => {
      devices.forEach((device, i) => {
        for (const record of device.records.slice(logged[i]))
          console.error(`${device.name}: ${JSON.stringify(record)}`);
      });
    });
    const phrase = `Heron protocol ${randomUUID()}`;
    const body = `The minister will announce the ${phrase} at noon.`;
    const sorId = await share('Announcement', `<p>${body}</p>`);
    const withdrawn = `briefing:${sorId}`;
    await onDevice(laptop, withdrawn);
    await onDevice(tablet, withdrawn);
    // Annotated offline: unsent when the unshare arrives.
    await laptop.sync.stop();
    const start = body.indexOf(phrase);
    const saved = await laptop.annotations.save({
      action: 'create',
      briefingId: withdrawn,
      quote: {
        exact: phrase,
        prefix: body.slice(0, start),
        suffix: body.slice(start + phrase.length),
      },
      position: { start, end: start + phrase.length },
      colour: 'blue',
      note: 'Check the wording',
    });
    if (!saved.ok) throw new Error(saved.error.message);
    expect(await laptop.sync.sendPending(0)).toBe(1);
    const unshared = await h.admin('POST', `/briefings/${encodeURIComponent(sorId)}/unshare`, {
      users: [USER],
    });
    expect(unshared.status).toBe(200);
    await waitFor('the unshare on the tablet', async () =>
      (await tablet.store.getBriefingDoc(withdrawn)) ? undefined : true,
    );
    laptop.sync.start();

    const holdsQuote = async (device: Device) =>
      (await device.store.listReturnDocs()).some((doc) => JSON.stringify(doc).includes(phrase));
    // The server (and so the SOR) has the event ...
    await waitFor(
      'the annotation on the server',
      async () => (await serverReturns()).some((doc) => doc['exact'] === phrase) || undefined,
    );
    // ... and neither device keeps it, nor the briefing.
    await waitFor(
      'the quote gone from both devices',
      async () =>
        !(await holdsQuote(laptop)) &&
        !(await holdsQuote(tablet)) &&
        (await laptop.store.getBriefingDoc(withdrawn)) === null
          ? true
          : undefined,
      30_000,
    );
    // The other briefing's marks stay.
    expect(await marks(laptop, briefingId)).toHaveLength(3);
    await upToDate(laptop);
    expect(laptop.sync.status().pendingUploads).toBe(0);

    // Down to the raw files: no sealed value of either store holds the quote or the note.
    for (const device of [laptop, tablet]) {
      await device.sync.stop();
      await device.store.close();
      const dataKey = await readStoreKey(device.dir.keychain, USER);
      if (!dataKey) throw new Error('no data key');
      const { returns } = storeDatabasePaths(device.store.location);
      const entries = await decryptedEntries(returns, dataKey, 'returns');
      // Control: the decrypted view finds what is there (the other briefing's note).
      expect(entries.some((entry) => entry.plain.includes('Laptop: the forecast'))).toBe(true);
      expect(entries.filter((entry) => entry.plain.includes(phrase))).toEqual([]);
      expect(entries.filter((entry) => entry.plain.includes('Check the wording'))).toEqual([]);
      expect(await filesContaining(device.store.location, phrase)).toEqual([]);
    }
  }, 120_000);
});
