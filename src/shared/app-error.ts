// One error vocabulary for the device and the reader. An AppError is a failure whose message a
// person can act on: main throws it where the advice is known (a store that cannot be read, an
// erase that failed at sign-out), and the IPC dispatcher hands its code and message to the reader
// unchanged. Any other exception is a fault, and the reader gets a generic message instead:
// a raw error's text may hold paths, ids or a token, and tells a person nothing they can do.
//
// Expected outcomes (not found, offline) are values, not exceptions (../../shared/STYLE.md);
// `expected` says whether an AppError is a condition the person or IT must fix (logged as a
// warning) or a fault of the app, logged as an error for support, its message still shown.

/** What crosses to the reader: a stable code to branch on and the message. Never the cause. */
export type AppErrorInfo = { readonly code: string; readonly message: string };

export type AppErrorOptions = {
  /** The error underneath, for the log only; it never crosses to the reader. */
  readonly cause?: unknown;
  /** A condition that can happen in normal use (false: a fault worth an error in the log). */
  readonly expected?: boolean;
};

export class AppError extends Error implements AppErrorInfo {
  override name = 'AppError';
  readonly code: string;
  readonly expected: boolean;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.expected = options.expected ?? true;
  }

  /** The code and message only: what the reader may see. */
  info(): AppErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
