// Contract of the devices capability: the devices the broker has seen for each person, and the
// remote wipe orders an administrator gives for them.

export type WipeOrderState = 'pending' | 'completed';

export type WipeOrder = {
  readonly orderId: string;
  readonly orderedAt: string;
  /** Who gave the order, as the administrator's tool names them (free text, audited). */
  readonly orderedBy: string;
  readonly state: WipeOrderState;
  readonly completedAt: string | null;
};

export type DeviceRecord = {
  readonly deviceId: string;
  /** The device's host name, as it reported it. */
  readonly label: string;
  readonly firstSeen: string;
  /** Updated at most every few minutes, not on every request. */
  readonly lastSeen: string;
  /** The latest wipe order for this device, pending or completed; null if none. */
  readonly wipe: WipeOrder | null;
};

export type WipeTarget =
  | { readonly kind: 'device'; readonly deviceId: string }
  /** Every device of the user seen so far. */
  | { readonly kind: 'all' };

/** What a device's confirmation of a wipe did. */
export type WipeCompletion =
  | { readonly kind: 'completed'; readonly order: WipeOrder }
  /** Nothing was pending for this device of this user (already completed, or never ordered). */
  | { readonly kind: 'none-pending' }
  /** An order is pending, but the confirmation lacked its one-time value: it stays pending. */
  | { readonly kind: 'not-confirmed'; readonly order: WipeOrder };

export type DeviceRegistry = {
  /** Creates the control database if needed; the other calls do it on first use too. */
  init(): Promise<void>;
  /** Records that the user used this device now (throttled per broker instance). */
  seen(user: string, deviceId: string, label: string): Promise<void>;
  /** The pending order for this device of this user, or null (cached for a few seconds). */
  pendingWipe(user: string, deviceId: string): Promise<WipeOrder | null>;
  /** The user's devices, most recently seen first. */
  list(user: string): Promise<readonly DeviceRecord[]>;
  /** Orders a wipe; returns the orders made (none when the device is unknown). Audited. */
  orderWipe(
    user: string,
    target: WipeTarget,
    orderedBy: string,
  ): Promise<readonly (WipeOrder & { readonly deviceId: string })[]>;
  /**
   * The order's one-time value, handed to the device with the order only (the broker's 403
   * device_wipe answer); the device sends it back with its confirmation.
   */
  confirmationOf(user: string, deviceId: string, orderId: string): string;
  /**
   * The device confirmed: its pending order is completed (audited) if `confirmation` is that
   * order's one-time value; otherwise it stays pending.
   */
  completeWipe(
    user: string,
    deviceId: string,
    confirmation: string | null,
  ): Promise<WipeCompletion>;
  /** Told of each order given through this instance (the broker ends that device's open feeds). */
  onOrder(listener: (user: string, deviceId: string) => void): () => void;
};
