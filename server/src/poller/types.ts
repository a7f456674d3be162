// Contract of the poller: moves SOR share/unshare changes onto the queue, at least once.

export type Poller = {
  start(): void;
  stop(): Promise<void>;
  /** One poll: reads a page of changes and enqueues it; returns how many changes it queued. */
  pollOnce(): Promise<number>;
};
