// Who signed in on this device and its online history, kept in the keychain beside MSAL's cache
// (so a copied data folder does not carry it, and sign-out removes it with the tokens). Offline
// sign-in reads it without the network.
import { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import { SECRET_NAMES } from '../secrets/types.js';
import type { OnlineHistory } from './offline-policy.js';
import type { AuthAccount } from './types.js';

export type SessionRecord = {
  readonly account: AuthAccount;
  readonly history: OnlineHistory;
};

const text = z.string().min(1).max(1024);
const recordSchema = z.object({
  version: z.literal(1),
  account: z.object({
    homeAccountId: text,
    userId: text,
    username: text,
    displayName: text,
  }),
  lastOnlineAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
});

export type SessionRecordStore = {
  /** null: nobody has signed in here (or the record is unreadable, which means the same). */
  readonly read: () => Promise<SessionRecord | null>;
  readonly write: (record: SessionRecord) => Promise<void>;
  readonly clear: () => Promise<void>;
};

export function createSessionRecordStore(keychain: Keychain, logger: Logger): SessionRecordStore {
  return {
    read: async () => {
      const raw = await keychain.get(SECRET_NAMES.session);
      if (raw === null) return null;
      let parsed: z.ZodSafeParseResult<z.infer<typeof recordSchema>>;
      try {
        parsed = recordSchema.safeParse(JSON.parse(raw));
      } catch {
        parsed = recordSchema.safeParse(undefined);
      }
      if (!parsed.success) {
        // Nothing to act on without an account: the person signs in again.
        logger.warn('the stored sign-in record is unreadable; treating the device as signed out');
        return null;
      }
      const { account, lastOnlineAt, lastSeenAt } = parsed.data;
      return {
        account,
        history: { lastOnlineAt: Date.parse(lastOnlineAt), lastSeenAt: Date.parse(lastSeenAt) },
      };
    },
    write: (record) =>
      keychain.set(
        SECRET_NAMES.session,
        JSON.stringify({
          version: 1,
          account: record.account,
          lastOnlineAt: new Date(record.history.lastOnlineAt).toISOString(),
          lastSeenAt: new Date(record.history.lastSeenAt).toISOString(),
        } satisfies z.input<typeof recordSchema>),
      ),
    clear: () => keychain.delete(SECRET_NAMES.session),
  };
}
