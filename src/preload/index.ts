// The reader's only door to the device: `window.attache`, exactly the verbs and events of the
// shared contract. ipcRenderer itself never crosses into the page.
//
// A sandboxed preload can require only `electron` and a few Node built-ins, so it cannot load
// zod (which src/shared/ipc.ts needs at run time). The two tables are therefore restated here,
// and `satisfies` pins them to the shared ones: adding, removing or renaming a verb or event in
// ipc.ts without updating this file is a type error.
import type { IpcRendererEvent } from 'electron';
import { contextBridge, ipcRenderer } from 'electron';
import type {
  API_EVENTS,
  API_VERBS,
  AttacheApi,
  IpcChannel,
  IpcEventName,
  IpcEvents,
  IpcRequests,
  IpcResponses,
} from '../shared/ipc.js';
import type { Result } from '../shared/result.js';

const VERBS = {
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
} as const satisfies typeof API_VERBS;

const EVENTS = {
  onSyncStatus: 'sync:status-changed',
  onBriefingsChanged: 'briefings:changed',
  onSessionChanged: 'session:changed',
  onOpenBrowser: 'session:open-browser',
  onConfigChanged: 'config:changed',
  onSearchChanged: 'search:changed',
} as const satisfies typeof API_EVENTS;

// The reverse checks: no verb or event of the contract is missing here.
type Missing<Shared, Local> = Exclude<keyof Shared, keyof Local>;
const noMissingVerbs: Missing<typeof API_VERBS, typeof VERBS> extends never ? true : never = true;
const noMissingEvents: Missing<typeof API_EVENTS, typeof EVENTS> extends never ? true : never =
  true;
void noMissingVerbs;
void noMissingEvents;

function invoker<C extends IpcChannel>(channel: C) {
  // Only the request object is passed on: never the event, never a callback. Main validates it.
  return (request: IpcRequests[C]): Promise<Result<IpcResponses[C]>> =>
    ipcRenderer.invoke(channel, request) as Promise<Result<IpcResponses[C]>>;
}

function subscriber<E extends IpcEventName>(channel: E) {
  return (listener: (payload: IpcEvents[E]) => void): (() => void) => {
    const handler = (_event: IpcRendererEvent, payload: IpcEvents[E]): void => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  };
}

const api = {
  listBriefings: invoker(VERBS.listBriefings),
  getSummaries: invoker(VERBS.getSummaries),
  getBriefing: invoker(VERBS.getBriefing),
  getAttachment: invoker(VERBS.getAttachment),
  markRead: invoker(VERBS.markRead),
  listAnnotations: invoker(VERBS.listAnnotations),
  saveAnnotation: invoker(VERBS.saveAnnotation),
  getAnnotatedVersion: invoker(VERBS.getAnnotatedVersion),
  getSyncStatus: invoker(VERBS.getSyncStatus),
  syncNow: invoker(VERBS.syncNow),
  getSession: invoker(VERBS.getSession),
  signIn: invoker(VERBS.signIn),
  cancelSignIn: invoker(VERBS.cancelSignIn),
  signOut: invoker(VERBS.signOut),
  getConfig: invoker(VERBS.getConfig),
  setSetting: invoker(VERBS.setSetting),
  reportShown: invoker(VERBS.reportShown),
  checkLink: invoker(VERBS.checkLink),
  openLink: invoker(VERBS.openLink),
  exportDiagnostics: invoker(VERBS.exportDiagnostics),
  search: invoker(VERBS.search),
  onSyncStatus: subscriber(EVENTS.onSyncStatus),
  onBriefingsChanged: subscriber(EVENTS.onBriefingsChanged),
  onSessionChanged: subscriber(EVENTS.onSessionChanged),
  onOpenBrowser: subscriber(EVENTS.onOpenBrowser),
  onConfigChanged: subscriber(EVENTS.onConfigChanged),
  onSearchChanged: subscriber(EVENTS.onSearchChanged),
} satisfies AttacheApi;

contextBridge.exposeInMainWorld('attache', Object.freeze(api));
