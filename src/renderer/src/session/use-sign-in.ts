import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SessionInfo, SignOutOutcome } from '../../../shared/ipc.js';
import { useApi } from '../api/api-context.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { createSignInTabs } from './sign-in-tab.js';

/** What a sign-out came to; `failed` carries the message to show. */
export type SignOutAnswer =
  SignOutOutcome | { readonly outcome: 'failed'; readonly message: string };

export type SignInActions = {
  /** Starts a sign-in: in the browser host, from a click (it opens the tab for the page). */
  readonly signIn: () => void;
  readonly cancel: () => void;
  /** `discardUnsent`: the person agreed to lose returns the server has not confirmed. */
  readonly signOut: (discardUnsent: boolean) => Promise<SignOutAnswer>;
  /** This reader has just signed the person out (until the next sign-in or a reload). */
  readonly signedOut: boolean;
  /**
   * Main's advice when the last sign-out failed part-way (signed out, but the local copy not
   * erased): the sign-in screen replaces the dialog that asked, so it says it there.
   */
  readonly signOutProblem: string | null;
};

export function useSignIn(source: ApiSource, session: SessionInfo | null): SignInActions {
  const api = useApi();
  const tabs = useMemo(
    () =>
      source === 'browser-host'
        ? createSignInTabs({ open: (url, target, features) => window.open(url, target, features) })
        : null,
    [source],
  );

  useEffect(() => {
    if (!tabs) return;
    return api.onOpenBrowser(({ url }) => tabs.open(url));
  }, [api, tabs]);

  const phase = session?.signIn.phase ?? 'idle';
  useEffect(() => {
    if (phase !== 'waiting') tabs?.finish();
  }, [phase, tabs]);

  const [signedOut, setSignedOut] = useState(false);
  const [signOutProblem, setSignOutProblem] = useState<string | null>(null);

  const signIn = useCallback(() => {
    setSignedOut(false);
    setSignOutProblem(null);
    tabs?.prepare();
    void api.signIn({}).then((result) => {
      if (!result.ok) tabs?.finish();
    });
  }, [api, tabs]);
  const cancel = useCallback(() => {
    void api.cancelSignIn({});
  }, [api]);
  const signOut = useCallback(
    async (discardUnsent: boolean): Promise<SignOutAnswer> => {
      const result = await api.signOut(discardUnsent ? { discardUnsent } : {});
      if (result.ok && result.value.outcome === 'signed-out') setSignedOut(true);
      setSignOutProblem(result.ok ? null : result.error.message);
      return result.ok ? result.value : { outcome: 'failed', message: result.error.message };
    },
    [api],
  );
  return { signIn, cancel, signOut, signedOut, signOutProblem };
}
