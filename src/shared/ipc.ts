// The one IPC contract between the reader (renderer) and the device services (main).
// Electron's preload and the browser host bridge both expose exactly these verbs; main
// validates every request against its schema before a handler sees it.
import { z } from 'zod';
import type { Classification, Priority, AttachmentMeta } from './briefing.js';
import type { AppErrorInfo } from './app-error.js';
import type { Result } from './result.js';
import type { DeviceConfigView } from './settings.js';
import { PERSONAL_SETTING_KEYS } from './settings.js';
import type { SearchResponse } from './search.js';
import { searchRequestSchema } from './search.js';
import type { Annotation } from './annotations/fold.js';
import type { AnnotatedVersion } from './annotations/requests.js';
import { annotatedVersionRequestSchema, annotationChangeSchema } from './annotations/requests.js';

export const SYNC_STATES = [
  'offline',
  'connecting',
  'syncing',
  'up-to-date',
  'error',
  'sign-in-needed',
] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export type SyncStatus = {
  readonly state: SyncState;
  /** ISO time of the last moment the device was known to hold everything the server had. */
  readonly lastSyncedAt: string | null;
  /** Local returns (read receipts, annotations) not yet confirmed by the server. */
  readonly pendingUploads: number;
  /** A short, human explanation for `error` and `sign-in-needed`. */
  readonly message: string | null;
};

export type BriefingSummary = {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly classification: Classification;
  readonly priority: Priority;
  readonly senderName: string;
  readonly approvedAt: string;
  readonly read: boolean;
  readonly attachmentCount: number;
  /** How many of the reader's own marks and notes the briefing carries (0: none). */
  readonly annotationCount: number;
};

/** One page of the list, and the counts of the whole of it. */
export type BriefingPage = {
  readonly items: readonly BriefingSummary[];
  readonly total: number;
  readonly unread: number;
};

export type BriefingDetail = BriefingSummary & {
  readonly bodyHtml: string;
  readonly senderRole: string;
  readonly updatedAt: string;
  readonly sourceVersion: number;
  readonly attachments: readonly AttachmentMeta[];
};

export type AttachmentContent = {
  readonly name: string;
  readonly contentType: string;
  /** base64, so the same contract travels over Electron IPC and the browser host's HTTP bridge. */
  readonly base64: string;
};

/**
 * signed-out: nobody has signed in on this device (or they signed out); the reader is locked.
 * signed-in: the person's briefings are open, online or offline within the offline policy.
 * locked: someone signed in here before, but the device stayed offline too long (or its clock
 * went back); the reader stays locked until it reconnects and the sign-in is renewed.
 */
export const SESSION_STATES = ['signed-out', 'signed-in', 'locked'] as const;
export type SessionState = (typeof SESSION_STATES)[number];
export type LockReason = 'offline-too-long' | 'clock-moved-back';
/** Why nobody is signed in when it was not the person's own doing. */
export type SignedOutReason = 'device-wiped';

/** An interactive sign-in through the system browser. Tokens never appear here. */
export type SignInProgress =
  | { readonly phase: 'idle' }
  /** Waiting for the person to finish in their browser; `url` is the sign-in page, once known. */
  | { readonly phase: 'waiting'; readonly url: string | null }
  | { readonly phase: 'failed'; readonly error: AppErrorInfo };

export type SessionInfo = {
  readonly state: SessionState;
  /** The signed-in (or locked) person; null when signed out. */
  readonly user: { readonly id: string; readonly displayName: string } | null;
  readonly serverUrl: string;
  readonly appVersion: string;
  /** Signed in, but the identity provider refused to renew: "Sign in again". */
  readonly signInNeeded: boolean;
  /** ISO time until which the briefings open without reconnecting (signed in only). */
  readonly offlineAccessUntil: string | null;
  readonly lockReason: LockReason | null;
  /**
   * 'device-wiped': an administrator ordered this device wiped; the person's data and sign-in
   * were erased. Cleared once someone signs in again.
   */
  readonly signedOutReason: SignedOutReason | null;
  readonly signIn: SignInProgress;
};

export type SignOutOutcome =
  /** Tokens and the local copy are gone; the reader is locked. */
  | { readonly outcome: 'signed-out' }
  /** Still signed in: `unsent` read receipts or notes would be lost (none was sent just now). */
  | { readonly outcome: 'unsent-returns'; readonly unsent: number };

const briefingId = z.string().min(1).max(512);

// ---- Managed configuration, classification policy, links and diagnostics ----------------
// Kept together so that the device services' own channels (below) stay as they are.

/** A link in a briefing that the organisation allows: it opens after the person confirms. */
export type LinkCheck =
  | { readonly allowed: true; readonly url: string }
  | { readonly allowed: false; readonly reason: string };

export type LinkOpened =
  /** The desktop app handed it to the system browser. */
  | { readonly how: 'system-browser' }
  /** Browser-host mode: the reader opens it in a new tab of the browser it runs in. */
  | { readonly how: 'reader'; readonly url: string };

/** The diagnostics zip for IT: redacted logs, effective configuration, sync state. */
export type DiagnosticsFile = {
  readonly fileName: string;
  readonly base64: string;
};

const managedRequests = {
  'config:get': z.object({}).strict(),
  'settings:set': z
    .object({ key: z.enum(PERSONAL_SETTING_KEYS), value: z.string().max(64) })
    .strict(),
  /** The briefing now on screen (null: none); main applies screen-capture protection. */
  'reader:shown': z.object({ id: briefingId.nullable() }).strict(),
  'links:check': z.object({ url: z.string().min(1).max(4096) }).strict(),
  'links:open': z.object({ url: z.string().min(1).max(4096) }).strict(),
  'diagnostics:export': z.object({}).strict(),
} as const;

export type ManagedResponses = {
  'config:get': DeviceConfigView;
  /** Refused with `setting-locked` when the organisation set it. */
  'settings:set': DeviceConfigView;
  'reader:shown': null;
  'links:check': LinkCheck;
  /** Refused with `link-not-allowed` (and the reason) when policy does not allow it. */
  'links:open': LinkOpened;
  'diagnostics:export': DiagnosticsFile;
};
export type ManagedChannel = keyof typeof managedRequests;

/** The most summaries one request answers (a page, or the briefings one change names). */
export const MAX_LIST_PAGE = 500;
/** The list's page when the reader does not say: the first screen, and each further one. */
export const LIST_PAGE_SIZE = 50;

/** channel -> request schema. Responses are typed in `IpcResponses`. */
export const ipcRequests = {
  /** One page of the list, newest first: `limit` (50 unless said) summaries from `offset`. */
  'briefings:list': z
    .object({
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(MAX_LIST_PAGE).optional(),
    })
    .strict(),
  /** The summaries of these briefings (what `briefings:changed` named); absent ones are gone. */
  'briefings:summaries': z.object({ ids: z.array(briefingId).max(MAX_LIST_PAGE) }).strict(),
  'briefings:get': z.object({ id: briefingId }).strict(),
  'briefings:attachment': z.object({ id: briefingId, name: z.string().min(1).max(255) }).strict(),
  'briefings:mark-read': z.object({ id: briefingId }).strict(),
  'annotations:list': z.object({ briefingId }).strict(),
  'annotations:save': annotationChangeSchema,
  'annotations:version': annotatedVersionRequestSchema,
  'sync:status': z.object({}).strict(),
  'sync:now': z.object({}).strict(),
  'session:get': z.object({}).strict(),
  'session:sign-in': z.object({}).strict(),
  'session:cancel-sign-in': z.object({}).strict(),
  'session:sign-out': z.object({ discardUnsent: z.boolean().optional() }).strict(),
  ...managedRequests,
  // Search (src/main/search): words, phrases and filters over the person's briefings.
  'search:query': searchRequestSchema,
} as const;

export type IpcChannel = keyof typeof ipcRequests;
export const IPC_CHANNELS = Object.keys(ipcRequests) as IpcChannel[];

export type IpcRequests = { [C in IpcChannel]: z.infer<(typeof ipcRequests)[C]> };

export type IpcResponses = {
  'briefings:list': BriefingPage;
  /** `items`: those of the ids asked the device holds; the counts are the whole list's. */
  'briefings:summaries': BriefingPage;
  'briefings:get': BriefingDetail | null;
  'briefings:attachment': AttachmentContent | null;
  'briefings:mark-read': null;
  /** The briefing's live annotations (src/shared/annotations/fold.ts), oldest first. */
  'annotations:list': readonly Annotation[];
  /** One create, edit or delete; answers with the annotation as it now stands. */
  'annotations:save': Annotation;
  /** An earlier version's text kept because marks were made on it; null when it was not kept. */
  'annotations:version': AnnotatedVersion | null;
  'sync:status': SyncStatus;
  'sync:now': null;
  'session:get': SessionInfo;
  /** Starts the sign-in and answers at once; progress arrives as session:changed. */
  'session:sign-in': null;
  'session:cancel-sign-in': null;
  /**
   * Sign-out erases this device's copy: tokens, sign-in record and the store's data key leave the
   * keychain, the store's files are deleted. It first sends what the server has not confirmed;
   * what cannot be sent is not erased silently: the answer says how much, and only a second call
   * with `discardUnsent: true` (the person confirmed) signs out anyway.
   */
  'session:sign-out': SignOutOutcome;
  'search:query': SearchResponse;
} & ManagedResponses;

/** Events main pushes to the renderer. */
export type IpcEvents = {
  'sync:status-changed': SyncStatus;
  'briefings:changed': { readonly ids: readonly string[] };
  'session:changed': SessionInfo;
  /**
   * Browser-host mode only (Electron opens the system browser itself): the reader opens this
   * provider sign-in page in a new tab.
   */
  'session:open-browser': { readonly url: string };
  /** The settings changed (the person's choice, or the organisation's policy). */
  'config:changed': DeviceConfigView;
  /** The search index took in or removed briefings: results shown may have changed. */
  'search:changed': { readonly pending: number };
};
export type IpcEventName = keyof IpcEvents;
export const IPC_EVENTS: readonly IpcEventName[] = [
  'sync:status-changed',
  'briefings:changed',
  'session:changed',
  'session:open-browser',
  'config:changed',
  'search:changed',
];

export function isIpcChannel(value: string): value is IpcChannel {
  return Object.prototype.hasOwnProperty.call(ipcRequests, value);
}

/** The named verbs the reader may call; each maps to exactly one channel. */
export const API_VERBS = {
  listBriefings: 'briefings:list',
  getSummaries: 'briefings:summaries',
  getBriefing: 'briefings:get',
  getAttachment: 'briefings:attachment',
  markRead: 'briefings:mark-read',
  listAnnotations: 'annotations:list',
  saveAnnotation: 'annotations:save',
  getAnnotatedVersion: 'annotations:version',
  getSyncStatus: 'sync:status',
  syncNow: 'sync:now',
  getSession: 'session:get',
  signIn: 'session:sign-in',
  cancelSignIn: 'session:cancel-sign-in',
  signOut: 'session:sign-out',
  getConfig: 'config:get',
  setSetting: 'settings:set',
  reportShown: 'reader:shown',
  checkLink: 'links:check',
  openLink: 'links:open',
  exportDiagnostics: 'diagnostics:export',
  search: 'search:query',
} as const satisfies Record<string, IpcChannel>;
export type ApiVerb = keyof typeof API_VERBS;

/** The named event subscriptions; each returns its unsubscribe function. */
export const API_EVENTS = {
  onSyncStatus: 'sync:status-changed',
  onBriefingsChanged: 'briefings:changed',
  onSessionChanged: 'session:changed',
  onOpenBrowser: 'session:open-browser',
  onConfigChanged: 'config:changed',
  onSearchChanged: 'search:changed',
} as const satisfies Record<string, IpcEventName>;
export type ApiEvent = keyof typeof API_EVENTS;

/** What the preload (or the browser bridge) puts on `window.attache`. No other door exists. */
export type AttacheApi = {
  readonly [V in ApiVerb]: (
    request: IpcRequests[(typeof API_VERBS)[V]],
  ) => Promise<Result<IpcResponses[(typeof API_VERBS)[V]]>>;
} & {
  readonly [E in ApiEvent]: (
    listener: (payload: IpcEvents[(typeof API_EVENTS)[E]]) => void,
  ) => () => void;
};
