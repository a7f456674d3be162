// A remote wipe is an order, not a question: the person's store goes with whatever it holds
// unsent, exactly as a sign-out that discards them. The order names a person (the workspace
// whose requests were answered with it): if someone else is signed in by the time it is
// carried out, nothing is erased. The token for the confirmation is taken first, while the
// sign-in is still there; then the store is erased and the sign-in leaves the keychain; only
// then is the broker told, with the order's one-time value, so a completed order always means
// nothing of the person is left.
// If the erase fails, nothing is confirmed and the tokens stay, so the next contact orders it
// again; if only the confirmation fails, the order stays pending and the same person's next
// sign-in on this device is wiped once more (an empty store) and confirms then.
import type { AuthSession } from '../auth/auth-session.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import type { SessionTransitions } from '../session/session-controller.js';
import { discardUserStore } from '../storage/store.pouch.js';
import { confirmWipe } from './wipe-confirmation.js';

export type RemoteWipeOptions = {
  readonly dataDir: string;
  readonly brokerUrl: string;
  readonly keychain: Keychain;
  readonly deviceHeaders: Readonly<Record<string, string>>;
  readonly auth: Pick<AuthSession, 'snapshot' | 'signOut' | 'tokenProvider'>;
  readonly session: Pick<
    SessionTransitions,
    'settled' | 'reconcile' | 'serially' | 'setErasing' | 'setSignedOutReason'
  >;
  readonly logger: Logger;
};

export type RemoteWipe = {
  /** Carries out an order for `orderedFor`; a second order while one runs joins it. */
  readonly carryOut: (orderedFor: string, confirmation: string | null) => Promise<void>;
  /** Resolves once no wipe is under way: quitting halfway would leave the person's sign-in. */
  readonly finished: () => Promise<void>;
};

export function createRemoteWipe(options: RemoteWipeOptions): RemoteWipe {
  const { auth, session, logger } = options;
  let wiping: Promise<void> | null = null;
  const carryOut = (orderedFor: string, confirmation: string | null): Promise<void> => {
    wiping ??= (async () => {
      await session.settled();
      const account = auth.snapshot().account;
      if (!account || account.userId !== orderedFor) return;
      logger.warn('an administrator ordered this device wiped: erasing the local copy');
      session.setErasing(true);
      try {
        const token = await auth.tokenProvider.getAccessToken().catch(() => null);
        await session.reconcile();
        await session.serially(() =>
          discardUserStore({
            dataDir: options.dataDir,
            userId: account.userId,
            keychain: options.keychain,
          }),
        );
        session.setSignedOutReason('device-wiped');
        await auth.signOut();
        const confirmed =
          token !== null &&
          confirmation !== null &&
          (await confirmWipe({
            brokerUrl: options.brokerUrl,
            token,
            deviceHeaders: options.deviceHeaders,
            confirmation,
          }));
        if (!confirmed) logger.warn('wiped, but the server could not be told yet');
        logger.info("wiped on the organisation's order", { confirmed });
      } catch (error) {
        logger.error('the ordered wipe did not complete', errorFields(error));
      } finally {
        session.setErasing(false);
        await session.reconcile();
      }
    })().finally(() => {
      wiping = null;
    });
    return wiping;
  };
  return {
    carryOut,
    finished: async () => {
      await wiping;
    },
  };
}
