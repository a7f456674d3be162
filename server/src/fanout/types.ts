// Contract of the fan-out: it consumes share/unshare events from the queue and makes each
// recipient's briefings database match what the SOR says right now.
import { z } from 'zod';

/** A queued share/unshare event (what the poller enqueues for one SOR change). */
export const shareEventSchema = z.object({
  kind: z.enum(['share', 'unshare']),
  sorId: z.string().min(1),
  recipient: z.string(),
  version: z.number().int(),
  approvedAt: z.string(),
  seq: z.number().int(),
});
export type ShareEvent = z.infer<typeof shareEventSchema>;

/** A SOR change-log entry the adapter could not read: it travels only to be dead-lettered. */
export const malformedEventSchema = z.object({
  kind: z.literal('malformed'),
  reason: z.string(),
  record: z.unknown(),
});
export type MalformedEvent = z.infer<typeof malformedEventSchema>;

export const fanoutEventSchema = z.discriminatedUnion('kind', [
  shareEventSchema,
  malformedEventSchema,
]);
export type FanoutEvent = z.infer<typeof fanoutEventSchema>;

/** What processing one event did to the recipient's database. */
export type FanoutOutcome =
  | 'written' // new or changed briefing stored
  | 'unchanged' // same content hash already stored (replay)
  | 'stale' // a newer source version is already stored
  | 'deleted' // no longer shared: removed
  | 'absent'; // no longer shared and not there: nothing to do

export type Fanout = {
  start(): void;
  /** Stops claiming and waits for events in flight. */
  stop(): Promise<void>;
  /** Claim now instead of waiting for the idle timer (the poller calls it after enqueueing). */
  wake(): void;
};
