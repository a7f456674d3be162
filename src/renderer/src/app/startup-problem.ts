// What the reader says when it cannot even load the session: a heading that names the problem
// and whether trying again (reloading) can help. The sentence itself is the error's message.
import type { AppErrorInfo } from '../../../shared/app-error.js';
import { BRIDGE_ERROR_CODES } from '../bridge/http-bridge.js';

export type StartupProblem = {
  readonly title: string;
  /** Reloading can help: the cause may have passed (a host still starting, a slow disk). */
  readonly canRetry: boolean;
};

export function describeStartupProblem(error: AppErrorInfo): StartupProblem {
  switch (error.code) {
    case BRIDGE_ERROR_CODES.keyRejected:
      return { title: 'This reader address is out of date', canRetry: false };
    case BRIDGE_ERROR_CODES.keyMissing:
      return { title: 'Open Attaché from the address in its terminal', canRetry: false };
    case BRIDGE_ERROR_CODES.unreachable:
      return { title: 'Attaché is not responding', canRetry: true };
    default:
      return { title: 'Attaché could not start', canRetry: true };
  }
}
