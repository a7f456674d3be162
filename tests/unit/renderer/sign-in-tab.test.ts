import { describe, expect, it } from 'vitest';
import {
  createSignInTabs,
  type TabHost,
  type TabLike,
} from '../../../src/renderer/src/session/sign-in-tab.js';

function fakeBrowser() {
  const tabs: Array<TabLike & { url: string; features: string | undefined }> = [];
  const host: TabHost = {
    open: (url, _target, features) => {
      const tab = {
        url,
        features,
        closed: false,
        opener: 'the reader' as unknown,
        location: {
          replace: (next: string) => {
            tab.url = next;
          },
        },
        close: () => {
          tab.closed = true;
        },
      };
      tabs.push(tab);
      return tab;
    },
  };
  return { host, tabs };
}

const PAGE = 'https://127.0.0.1:5443/auth?client_id=attache-reader&state=s';

describe('sign-in tab (browser-host mode)', () => {
  it('opens an empty tab on the click, cut off from the reader, and puts the sign-in page in it', () => {
    const { host, tabs } = fakeBrowser();
    const signIn = createSignInTabs(host);
    signIn.prepare();
    expect(tabs).toHaveLength(1);
    expect(tabs[0]?.url).toBe('about:blank');
    expect(tabs[0]?.opener).toBeNull();
    signIn.open(PAGE);
    expect(tabs).toHaveLength(1);
    expect(tabs[0]?.url).toBe(PAGE);
    signIn.finish();
    expect(tabs[0]?.closed).toBe(false);
  });

  it('opens a new tab without an opener when none was prepared', () => {
    const { host, tabs } = fakeBrowser();
    createSignInTabs(host).open(PAGE);
    expect(tabs[0]).toMatchObject({ url: PAGE, features: 'noopener,noreferrer' });
  });

  it('closes a prepared tab that never got its page (cancelled, failed)', () => {
    const { host, tabs } = fakeBrowser();
    const signIn = createSignInTabs(host);
    signIn.prepare();
    signIn.finish();
    expect(tabs[0]?.closed).toBe(true);
  });

  it('never opens anything but an https page', () => {
    const { host, tabs } = fakeBrowser();
    const signIn = createSignInTabs(host);
    signIn.open('javascript:alert(1)');
    signIn.open('http://127.0.0.1:5443/auth');
    expect(tabs).toHaveLength(0);
  });
});
