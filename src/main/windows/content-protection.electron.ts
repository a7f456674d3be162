// Applies the screen-capture guard (policy/screen-capture.ts) to the reader window: while it is
// on, screenshots, screen recording and screen sharing see the window blank (Windows: display
// affinity; macOS: the window's sharing type). Linux has no such control; the policy still
// applies on the other two systems.
import type { BrowserWindow } from 'electron';
import type { Logger } from '../logging/logger.js';

export function contentProtectionFor(
  window: () => BrowserWindow | null,
  logger: Logger,
): (protect: boolean) => void {
  return (protect) => {
    const target = window();
    if (!target || target.isDestroyed()) return;
    target.setContentProtection(protect);
    logger.info(protect ? 'screen capture blocked' : 'screen capture allowed again');
  };
}
