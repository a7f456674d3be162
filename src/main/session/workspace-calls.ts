// What the main thread may ask of the workspace thread (session/workspace-worker.ts): each
// service's methods by name, and nothing else. The reader's IPC handlers use these services
// (ipc/handlers.ts); the workspace thread answers only a call on this list.
export const WORKSPACE_CALLS = {
  briefings: ['list', 'page', 'summaries', 'get', 'attachment', 'markRead'],
  annotations: ['list', 'save', 'annotatedBriefings', 'annotationTextFor', 'versionText'],
  search: ['query', 'indexNotes', 'idle'],
  sync: ['syncNow', 'sendPending', 'stop'],
} as const;
