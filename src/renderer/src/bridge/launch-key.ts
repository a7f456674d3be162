// The browser host hands the page its per-launch secret in the URL fragment (`#key=...`):
// fragments are never sent to servers, logged by proxies or put in Referer headers. The page
// takes it once, keeps it for this tab only (sessionStorage survives a reload, not a new
// tab), and removes it from the address bar so it does not linger in history or screenshots.
import { HOST_KEY_FRAGMENT } from '../../../shared/protocol.js';

export const LAUNCH_KEY_STORAGE_ITEM = 'attache.launchKey';

export type LaunchKeyEnvironment = {
  readonly location: { readonly hash: string; readonly pathname: string; readonly search: string };
  readonly history: {
    readonly state: unknown;
    replaceState(data: unknown, unused: string, url: string): void;
  };
  readonly storage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
  };
};

/** Returns the launch secret from the fragment (storing it) or from this tab's storage; null if neither. */
export function takeLaunchKey(env: LaunchKeyEnvironment): string | null {
  const fragment = new URLSearchParams(env.location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get(HOST_KEY_FRAGMENT);
  if (fromUrl !== null) {
    fragment.delete(HOST_KEY_FRAGMENT);
    const rest = fragment.toString();
    env.history.replaceState(
      env.history.state,
      '',
      `${env.location.pathname}${env.location.search}${rest ? `#${rest}` : ''}`,
    );
    if (fromUrl.length > 0) {
      try {
        env.storage.setItem(LAUNCH_KEY_STORAGE_ITEM, fromUrl);
      } catch {
        // Storage can be disabled or full; the key still works for this page's lifetime.
      }
      return fromUrl;
    }
  }
  try {
    return env.storage.getItem(LAUNCH_KEY_STORAGE_ITEM);
  } catch {
    return null;
  }
}
