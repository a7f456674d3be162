// Opens addresses with the operating system (shell.openExternal), each caller through its own
// allow-list (external-links.ts). Nothing else in the app calls shell.openExternal.
import { shell } from 'electron';
import type { Logger } from '../logging/logger.js';
import type { ExternalLinkPolicy } from './external-links.js';
import { ExternalLinkRefusedError, externalLinkDecision } from './external-links.js';

export function externalOpenerFor(
  policy: ExternalLinkPolicy,
  logger: Logger,
): (url: string) => Promise<void> {
  return async (target) => {
    const decision = externalLinkDecision(target, policy);
    if (!decision.allowed) {
      // The address itself is not logged: a sign-in URL carries state and a code challenge.
      logger.warn('refused to open an address outside its allow-list', {
        purpose: policy.purpose,
        reason: decision.reason,
      });
      throw new ExternalLinkRefusedError(policy.purpose);
    }
    await shell.openExternal(decision.url);
  };
}
