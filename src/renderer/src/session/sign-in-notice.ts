// How the reader shows a sign-in that ended without signing in. Cancelling on the provider's
// page is the person's choice (`declined`): said calmly, as information; anything else is a
// problem to act on, said as an alert.
import type { AppErrorInfo } from '../../../shared/app-error.js';

export type SignInNoticeTone = 'calm' | 'problem';

/** session-info.ts names a failed attempt's code `sign-in-<failure>`. */
const DECLINED = 'sign-in-declined';

export function signInNoticeTone(error: AppErrorInfo): SignInNoticeTone {
  return error.code === DECLINED ? 'calm' : 'problem';
}
