// Tells the broker that this device carried out the wipe it was ordered, so that the order is
// completed (and audited) and the device signs in normally afterwards. Sent with the person's
// token before it leaves the keychain (without it the broker could not tell who confirms) and
// with the order's one-time value, which the broker handed out only with the order: a
// confirmation from anything that did not receive the order completes nothing.
import { DEVICE_WIPE_CONFIRMATION_HEADER, DEVICE_WIPE_DONE_PATH } from '../../shared/protocol.js';

const CONFIRM_TIMEOUT_MS = 10_000;

/** true when the broker recorded the confirmation; false when it could not be told now. */
export async function confirmWipe(options: {
  readonly brokerUrl: string;
  readonly token: string;
  readonly deviceHeaders: Readonly<Record<string, string>>;
  /** The one-time value that came with the order (the broker's 403 device_wipe answer). */
  readonly confirmation: string;
  readonly fetch?: typeof fetch;
}): Promise<boolean> {
  const send = options.fetch ?? fetch;
  try {
    const response = await send(new URL(DEVICE_WIPE_DONE_PATH, options.brokerUrl), {
      method: 'POST',
      headers: {
        ...options.deviceHeaders,
        authorization: `Bearer ${options.token}`,
        [DEVICE_WIPE_CONFIRMATION_HEADER]: options.confirmation,
      },
      signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
