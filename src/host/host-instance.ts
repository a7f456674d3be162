// One reader host per device data folder. A second one would find the person's store locked by
// the first (LevelDB allows one process) and, on the default port, no port to listen on; so the
// running host records itself in the data folder (`reader-host.json`: its process id and
// address), and whoever comes next (a second `npm run reader`, or `npm run serve`, which then
// starts the server alone) asks before starting one.
//
// A record is believed only while its process is alive AND its address still answers as a
// reader: a host killed outright leaves its record behind, and after a reboot its process id
// may belong to something else.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../main/files/durable-write.js';

export const HOST_INSTANCE_FILE = 'reader-host.json';
const PROBE_TIMEOUT_MS = 2_000;

export type HostInstance = { readonly pid: number; readonly origin: string };

export const HOST_ALREADY_RUNNING = 'host-already-running';

export class HostAlreadyRunningError extends Error {
  override readonly name = 'HostAlreadyRunningError';
  readonly code = HOST_ALREADY_RUNNING;
  constructor(readonly instance: HostInstance) {
    super(
      `Attaché's reader is already running for this device (process ${instance.pid}, ${instance.origin}). Use that one: its address is in the terminal where it started. To start another, stop it first (Ctrl-C there).`,
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `origin` serves Attaché's reader (its page, no key needed). */
async function answersAsReader(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok && (await response.text()).includes('<title>Attaché</title>');
  } catch {
    return false;
  }
}

function parse(text: string): HostInstance | null {
  try {
    const value = JSON.parse(text) as Partial<HostInstance>;
    if (!Number.isInteger(value.pid) || typeof value.origin !== 'string') return null;
    const origin = new URL(value.origin);
    // Only a loopback http address is ever recorded; anything else is not ours to probe.
    if (origin.protocol !== 'http:' || origin.hostname !== '127.0.0.1') return null;
    return { pid: value.pid as number, origin: origin.origin };
  } catch {
    return null;
  }
}

/** The reader host serving `dataDir` now, or null (no record, or a stale one). */
export async function findRunningHost(dataDir: string): Promise<HostInstance | null> {
  let text: string;
  try {
    text = await readFile(join(dataDir, HOST_INSTANCE_FILE), 'utf8');
  } catch {
    return null;
  }
  const instance = parse(text);
  if (!instance || instance.pid === process.pid || !processAlive(instance.pid)) return null;
  return (await answersAsReader(instance.origin)) ? instance : null;
}

/**
 * Records this process as `dataDir`'s reader host (written whole and durably: files/durable-write.ts).
 * Returns the release, which removes the record if it is still this process's.
 */
export async function recordHost(dataDir: string, origin: string): Promise<() => Promise<void>> {
  const file = join(dataDir, HOST_INSTANCE_FILE);
  await writeFileDurably(file, JSON.stringify({ pid: process.pid, origin }));
  return async () => {
    try {
      if (parse(await readFile(file, 'utf8'))?.pid === process.pid) await rm(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
