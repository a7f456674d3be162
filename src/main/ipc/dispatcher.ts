// The single entry point for requests from the reader, over Electron IPC or the browser host's
// HTTP bridge alike. It validates the channel and the request against the shared contract and
// turns every failure into a Result: the renderer never sees a raw exception. An AppError
// (shared/app-error.ts) carries advice for the person and goes through with its code and message;
// anything else is a fault and gets the generic answer below.
import type { z } from 'zod';
import { isAppError } from '../../shared/app-error.js';
import { ipcRequests, isIpcChannel } from '../../shared/ipc.js';
import type { Result } from '../../shared/result.js';
import { fail, failWith } from '../../shared/result.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { IpcHandlers } from './handlers.js';

/** Stable error codes the reader may branch on. */
export const IPC_ERROR_CODES = {
  unknownChannel: 'ipc-unknown-channel',
  invalidRequest: 'ipc-invalid-request',
  internal: 'internal-error',
} as const;

export type IpcDispatcher = (channel: string, request: unknown) => Promise<Result<unknown>>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : 'request';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function createIpcDispatcher(handlers: IpcHandlers, logger: Logger): IpcDispatcher {
  const log = logger.child('ipc');
  return async (channel, request) => {
    if (typeof channel !== 'string' || !isIpcChannel(channel)) {
      log.warn('rejected a call to an unknown channel', { channel: String(channel).slice(0, 100) });
      return fail(
        IPC_ERROR_CODES.unknownChannel,
        `"${String(channel).slice(0, 100)}" is not an Attaché request. The reader and the app are out of step: restart Attaché.`,
      );
    }
    const parsed = ipcRequests[channel].safeParse(request);
    if (!parsed.success) {
      log.warn('rejected a malformed request', { channel, issues: describeIssues(parsed.error) });
      return fail(
        IPC_ERROR_CODES.invalidRequest,
        `The ${channel} request was malformed (${describeIssues(parsed.error)}). Nothing was changed; restart Attaché if this repeats.`,
      );
    }
    try {
      // The schema for `channel` produced `parsed.data`, so it is that channel's request type.
      const handler = handlers[channel] as (request: unknown) => Promise<Result<unknown>>;
      return await handler(parsed.data);
    } catch (error) {
      if (isAppError(error)) {
        const fields = { channel, code: error.code, ...errorFields(error.cause ?? error) };
        if (error.expected) log.warn('request refused', fields);
        else log.error('request failed', fields);
        return failWith(error);
      }
      log.error('request failed', { channel, ...errorFields(error) });
      return fail(
        IPC_ERROR_CODES.internal,
        'Attaché could not complete this request. Your briefings on this device are unaffected; try again, and if it persists, export the logs for IT support.',
      );
    }
  };
}
