// Repeated refusals of one kind become one audit record with a count, so that a flood of
// garbage (300 made-up tokens in a third of a second, a scanner walking the ops port) costs the
// trail and the log a bounded number of lines instead of one each.
//
// A kind is a key the caller chooses from what it knows before trusting anything (the client
// address, the status, a reason from a fixed set), never from what the client may vary at will
// (the path, a claimed user name). Within a window that starts with the first refusal of a kind,
// the first few are recorded one by one, as they happen, each with its own details; the rest are
// counted, and when the window ends one record carries that count, the first of them and the
// time span. Distinct kinds per window are bounded too: past the cap, every new kind shares one
// overflow count. Nothing is dropped: every refusal is in exactly one record.
import type { AuditEntry, AuditLog } from './types.js';

/** Records of one kind written one by one in a window before the rest are counted. */
export const REFUSALS_RECORDED_EACH = 5;
/** Kinds tracked at once; new kinds beyond it share one overflow record. */
export const MAX_REFUSAL_KINDS = 1_000;
const OVERFLOW_KIND = '\u0000overflow';

export type RefusalAggregator = {
  /** Records `entry` (a refusal) now, or counts it into its kind's summary. */
  record(kind: string, entry: AuditEntry): void;
  /** Writes the summaries of windows still open (before the audit trail closes). */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
};

type Window = {
  readonly opened: number;
  recorded: number;
  counted: number;
  first: AuditEntry | null;
  last: number;
};

export function createRefusalAggregator(deps: {
  readonly audit: AuditLog;
  /** How long one kind's window lasts, in milliseconds. */
  readonly windowMs: number;
  readonly recordedEach?: number;
  readonly maxKinds?: number;
  readonly now?: () => number;
}): RefusalAggregator {
  const now = deps.now ?? Date.now;
  const recordedEach = deps.recordedEach ?? REFUSALS_RECORDED_EACH;
  const maxKinds = deps.maxKinds ?? MAX_REFUSAL_KINDS;
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function summarise(kind: string, window: Window): void {
    if (window.counted === 0 || !window.first) return;
    deps.audit.record({
      ...window.first,
      ...(kind === OVERFLOW_KIND ? { reason: 'refusals of many other kinds' } : {}),
      aggregated: true,
      count: window.counted,
      firstAt: new Date(window.opened).toISOString(),
      lastAt: new Date(window.last).toISOString(),
      note: `${window.counted} more refusal${window.counted === 1 ? '' : 's'} like this one in this window, recorded together`,
    });
  }

  /** Closes the windows that have ended; `all` closes every one. */
  function sweep(all = false): void {
    const t = now();
    for (const [kind, window] of windows) {
      if (all || t - window.opened >= deps.windowMs) {
        windows.delete(kind);
        summarise(kind, window);
      }
    }
    if (windows.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  function ensureTimer(): void {
    if (timer || closed) return;
    // Windows end on their own even when no refusal follows: the count must not wait for one.
    timer = setInterval(() => sweep(), Math.max(50, Math.min(deps.windowMs, 1_000)));
    timer.unref();
  }

  return {
    record(kind, entry) {
      if (closed) {
        deps.audit.record(entry);
        return;
      }
      const t = now();
      let key = kind;
      let window = windows.get(key);
      if (window && t - window.opened >= deps.windowMs) {
        windows.delete(key);
        summarise(key, window);
        window = undefined;
      }
      if (!window) {
        if (windows.size >= maxKinds) sweep();
        if (windows.size >= maxKinds) {
          key = OVERFLOW_KIND;
          window = windows.get(key);
        }
      }
      if (!window) {
        window = { opened: t, recorded: 0, counted: 0, first: null, last: t };
        windows.set(key, window);
        ensureTimer();
      }
      window.last = t;
      if (key !== OVERFLOW_KIND && window.recorded < recordedEach) {
        window.recorded += 1;
        deps.audit.record(entry);
        return;
      }
      window.counted += 1;
      window.first ??= entry;
    },
    flush: () => sweep(true),
    close() {
      if (closed) return;
      sweep(true);
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
