// Wire-level facts shared by the server, the device services and the reader's browser host.

/**
 * The broker exposes each signed-in user's two databases under fixed aliases. The device never
 * names a real database, so it cannot even ask for someone else's: the broker maps the alias
 * to the token subject's own database.
 */
export const BROKER_DB_PATHS = {
  briefings: '/db/briefings',
  returns: '/db/returns',
} as const;

/**
 * Every broker request names the device it comes from, so that the server can tell a person's
 * devices apart and an administrator can order one of them wiped. The id is not a secret: it
 * only selects which wipe order applies, never what the token may reach.
 */
export const DEVICE_ID_HEADER = 'x-attache-device-id';
/** The device's human label (its host name), percent-encoded. */
export const DEVICE_LABEL_HEADER = 'x-attache-device-label';
/** A device id: the lowercase UUID each install makes on first run. */
export const DEVICE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Longest device label kept, in characters. */
export const DEVICE_LABEL_MAX = 100;
/**
 * The broker's answer to any request from a device with a pending wipe order (status 403):
 * `{"error": DEVICE_WIPE_ERROR, "confirmation": "<the order's one-time value>"}`. The device
 * erases the person's data and confirms at DEVICE_WIPE_DONE_PATH with that value.
 */
export const DEVICE_WIPE_ERROR = 'device_wipe';
/** POST, with the bearer token and the device id: the device has erased what the order named. */
export const DEVICE_WIPE_DONE_PATH = '/device/wipe-done';
/**
 * Carries the order's one-time value on the confirmation. A confirmation without it (from
 * something that never received the order) completes nothing.
 */
export const DEVICE_WIPE_CONFIRMATION_HEADER = 'x-attache-wipe-confirmation';
/** The one-time value's shape: base64url of an HMAC-SHA256 (43 characters). */
export const DEVICE_WIPE_CONFIRMATION_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Browser host bridge (used where Electron cannot run): POST {HOST_API_PREFIX}/<channel>. */
export const HOST_API_PREFIX = '/api/';
/** Server-sent events stream of IpcEvents; `?key=` carries the launch secret (EventSource cannot set headers). */
export const HOST_EVENTS_PATH = '/api/events';
/** Header that carries the per-launch secret on bridge calls. */
export const HOST_KEY_HEADER = 'x-attache-key';
/** URL fragment parameter through which the host hands the launch secret to the page. */
export const HOST_KEY_FRAGMENT = 'key';

/** Default loopback ports of the embedded product; each is overridable by its environment variable. */
export const DEFAULT_PORTS = {
  sor: 5070, // ATTACHE_SOR_PORT: demo SOR admin API
  broker: 5080, // ATTACHE_BROKER_PORT: auth broker (the devices' only door)
  ops: 5090, // ATTACHE_OPS_PORT: /healthz and /metrics
  reader: 5100, // ATTACHE_READER_PORT: browser host of the reader
  idp: 5443, // ATTACHE_IDP_PORT: development OpenID provider (https, local CA)
} as const;

/**
 * The development OpenID provider of the embedded product (production: Microsoft Entra ID, with
 * the same two app registrations: the reader as a public client, the broker as an API).
 */
export const DEV_IDP = {
  /** OAuth client id of the reader (a public, native client; loopback redirect). */
  readerClientId: 'attache-reader',
  /** The broker's API identifier: the access token's audience. */
  brokerAudience: 'api://attache-broker',
  /** The scope the reader asks for to sync (full name: `${brokerAudience}/${syncScope}`). */
  syncScope: 'briefings.sync',
} as const;

/** The sample user that the demo SOR shares its sample briefings with. */
export const SAMPLE_USER = { id: 'alex.morgan', displayName: 'Alex Morgan' } as const;
