// Screen capture follows the briefing on screen: while a briefing whose marking the policy
// protects (or its attachment) is shown, the window is excluded from screenshots, recordings
// and screen sharing (Electron's setContentProtection). The guard fails closed: protection goes
// on as soon as main hands such a briefing to the reader, before it can be drawn, and comes off
// only when the reader says it shows something that needs none.
export type ScreenCaptureGuard = {
  /** Main handed the reader a briefing, or an attachment of one, of this marking. */
  readonly served: (marking: string) => void;
  /** The reader shows a briefing of this marking now, or none (null). */
  readonly shown: (marking: string | null) => void;
  readonly isProtected: () => boolean;
};

export function createScreenCaptureGuard(options: {
  /** The window's protection on or off (Electron: setContentProtection). */
  readonly apply: (protect: boolean) => void;
  /** Whether a marking needs protection (the policy of the moment). */
  readonly blocks: (marking: string) => boolean;
}): ScreenCaptureGuard {
  let on = false;
  const set = (next: boolean): void => {
    if (next === on) return;
    on = next;
    options.apply(next);
  };
  return {
    served: (marking) => {
      if (options.blocks(marking)) set(true);
    },
    shown: (marking) => set(marking !== null && options.blocks(marking)),
    isProtected: () => on,
  };
}
