// What the broker reads off a device's request before judging it: the raw path and query, the
// device it names, the one-time value of a wipe confirmation, and a bounded body. Nothing here
// decides; the pipeline in broker-server.ts does.
import type { IncomingMessage } from 'node:http';
import {
  DEVICE_ID_HEADER,
  DEVICE_ID_PATTERN,
  DEVICE_LABEL_HEADER,
  DEVICE_LABEL_MAX,
  DEVICE_WIPE_CONFIRMATION_HEADER,
  DEVICE_WIPE_CONFIRMATION_PATTERN,
} from '../../../src/shared/protocol.js';

export type DeviceHeaders = { readonly id: string; readonly label: string };

/** The device the request names; null when it names none, 'invalid' when the id is malformed. */
export function deviceOf(req: IncomingMessage): DeviceHeaders | null | 'invalid' {
  const id = req.headers[DEVICE_ID_HEADER];
  if (id === undefined) return null;
  if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) return 'invalid';
  const raw = req.headers[DEVICE_LABEL_HEADER];
  let decoded: string;
  try {
    decoded = typeof raw === 'string' ? decodeURIComponent(raw) : '';
  } catch {
    decoded = '';
  }
  // Shown to administrators in a terminal and stored in CouchDB: no control or format
  // characters (C0, C1, bidi overrides), cut by code points so no surrogate pair is split.
  const label = [...decoded.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').trim()]
    .slice(0, DEVICE_LABEL_MAX)
    .join('');
  return { id, label };
}

/**
 * The raw path (no dot-segment resolution by URL: the policy judges it segment by segment) and
 * the raw query string after the first `?` (the policy parses it itself).
 */
export function splitUrl(url: string | undefined): { rawPath: string; rawQuery: string } {
  const whole = url ?? '/';
  const mark = whole.indexOf('?');
  return mark < 0
    ? { rawPath: whole, rawQuery: '' }
    : { rawPath: whole.slice(0, mark), rawQuery: whole.slice(mark + 1) };
}

/** The one-time value a wipe confirmation carries, or null. */
export function wipeConfirmationOf(req: IncomingMessage): string | null {
  const value = req.headers[DEVICE_WIPE_CONFIRMATION_HEADER];
  return typeof value === 'string' && DEVICE_WIPE_CONFIRMATION_PATTERN.test(value) ? value : null;
}
