// Browser-host mode has no system browser to hand the sign-in page to: the reader opens it in
// a new tab. The device learns the page's address only after the click (its loopback listener
// must be up first), and a tab opened then would be blocked as a pop-up; so the click opens an
// empty tab at once and the address is put into it when it arrives.
//
// In Electron the main process opens the system browser itself, and the window may not open
// tabs at all, so nothing here runs.

/** The part of `window` this needs, so tests can hand in a stub. */
export type TabHost = {
  open(url: string, target: string, features?: string): TabLike | null;
};
export type TabLike = {
  readonly closed: boolean;
  opener: unknown;
  location: { replace(url: string): void };
  close(): void;
};

export type SignInTabs = {
  /** Call synchronously in the click handler that starts a sign-in. */
  readonly prepare: () => void;
  /** The device's session:open-browser event. */
  readonly open: (url: string) => void;
  /** The sign-in ended (signed in, cancelled, failed): close a tab that never got its page. */
  readonly finish: () => void;
};

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function createSignInTabs(host: TabHost): SignInTabs {
  let pending: TabLike | null = null;
  let navigated = false;
  return {
    prepare: () => {
      if (pending && !pending.closed) return;
      pending = host.open('about:blank', '_blank');
      navigated = false;
      if (pending) {
        // The provider's page must not be able to reach back into the reader.
        try {
          pending.opener = null;
        } catch {
          // Some browsers make it read-only; the reader's COOP header still severs the link.
        }
      }
    },
    open: (url) => {
      // Only ever an https page of the identity provider; anything else is not ours to open.
      if (!isHttps(url)) return;
      if (pending && !pending.closed && !navigated) {
        pending.location.replace(url);
        navigated = true;
        return;
      }
      host.open(url, '_blank', 'noopener,noreferrer');
    },
    finish: () => {
      if (pending && !pending.closed && !navigated) pending.close();
      pending = null;
      navigated = false;
    },
  };
}
