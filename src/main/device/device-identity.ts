// This install's identity towards the server: a random id made on first run and kept in the
// data folder, and a label a person recognises (the host name). Neither is secret: the id only
// lets the server tell a person's devices apart, so that an administrator can order one wiped;
// the bearer token still decides what a request may reach.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import {
  DEVICE_ID_HEADER,
  DEVICE_ID_PATTERN,
  DEVICE_LABEL_HEADER,
  DEVICE_LABEL_MAX,
} from '../../shared/protocol.js';
import { writeFileDurably } from '../files/durable-write.js';

export type DeviceIdentity = { readonly id: string; readonly label: string };

export function deviceIdFile(dataDir: string): string {
  return join(dataDir, 'device-id');
}

/**
 * The id in the data folder, or a new one written there (files/durable-write.ts, so a crash never
 * leaves half an id). A file that does not hold an id is kept aside, not overwritten silently.
 */
export async function loadOrCreateDeviceIdentity(
  dataDir: string,
  hostname: () => string = os.hostname,
): Promise<DeviceIdentity> {
  const file = deviceIdFile(dataDir);
  const label = hostname().slice(0, DEVICE_LABEL_MAX);
  let text: string | null = null;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null && DEVICE_ID_PATTERN.test(text)) return { id: text, label };
  await mkdir(dataDir, { recursive: true });
  if (text !== null) await rename(file, `${file}.unreadable-${Date.now()}`);
  const id = randomUUID();
  await writeFileDurably(file, `${id}\n`);
  return { id, label };
}

/** The headers that name this device on every broker request. */
export function deviceHeaders(device: DeviceIdentity): Readonly<Record<string, string>> {
  return {
    [DEVICE_ID_HEADER]: device.id,
    [DEVICE_LABEL_HEADER]: encodeURIComponent(device.label),
  };
}
