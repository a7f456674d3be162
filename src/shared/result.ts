// The shape every IPC response takes: the renderer never sees a raw exception.
import type { AppError, AppErrorInfo } from './app-error.js';

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppErrorInfo };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
export function fail<T = never>(code: string, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
/** The failure an AppError stands for: its code and message, never its cause. */
export function failWith<T = never>(error: AppError): Result<T> {
  return { ok: false, error: error.info() };
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
