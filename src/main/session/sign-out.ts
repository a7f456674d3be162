// Sign-out leaves nothing of the person on the device: a laptop handed on, or taken, after
// sign-out holds no token, no key and no briefing. Returns the server has not confirmed exist
// nowhere else, so they are sent first, and never erased without the person's say.
import { AppError } from '../../shared/app-error.js';
import type { SignOutOutcome } from '../../shared/ipc.js';
import type { AuthSession } from '../auth/auth-session.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import { countUnsentReturnsOnDisk, discardUserStore } from '../storage/store.pouch.js';
import type { SessionTransitions } from './session-controller.js';

const SIGN_OUT_SEND_MS = 8_000;

export const SIGN_OUT_ERROR_CODES = {
  eraseFailed: 'sign-out-erase-failed',
} as const;

export type SignOutOptions = {
  readonly dataDir: string;
  readonly keychain: Keychain;
  readonly auth: Pick<AuthSession, 'snapshot' | 'signOut'>;
  readonly session: Pick<SessionTransitions, 'workspace' | 'settled' | 'reconcile' | 'serially'>;
  readonly logger: Logger;
  /** How long sign-out waits for unsent returns to reach the server (default 8 s). */
  readonly sendMs?: number;
};

export type SignOut = (discardUnsent: boolean) => Promise<SignOutOutcome>;

export function createSignOut(options: SignOutOptions): SignOut {
  const { auth, session, logger } = options;
  const store = (userId: string) => ({
    dataDir: options.dataDir,
    userId,
    keychain: options.keychain,
  });
  return async (discardUnsent) => {
    // A store still opening or closing (the reader locking, say) settles first.
    await session.settled();
    const account = auth.snapshot().account;
    let unsent = 0;
    if (account) {
      const workspace = session.workspace();
      const open = workspace?.userId === account.userId ? workspace : null;
      unsent = open
        ? await open.sync.sendPending(options.sendMs ?? SIGN_OUT_SEND_MS)
        : await countUnsentReturnsOnDisk(store(account.userId));
      if (unsent > 0 && !discardUnsent) {
        logger.info('sign-out held: returns not yet confirmed by the server', { unsent });
        return { outcome: 'unsent-returns', unsent };
      }
    }
    await auth.signOut();
    await session.reconcile();
    if (account) {
      await session.serially(async () => {
        try {
          await discardUserStore(store(account.userId));
        } catch (error) {
          logger.error('signed out, but the local copy could not be erased', errorFields(error));
          // The person is signed out but their briefings are still here: they must hear it.
          throw new AppError(
            SIGN_OUT_ERROR_CODES.eraseFailed,
            'You are signed out, but the copy of your briefings on this device could not be erased. Make sure the system keychain is unlocked and sign out again, or ask IT support.',
            { cause: error, expected: false },
          );
        }
        logger.info('erased the local copy on sign-out', { discardedUnsent: unsent });
      });
    }
    return { outcome: 'signed-out' };
  };
}
