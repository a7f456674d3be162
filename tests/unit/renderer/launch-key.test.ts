import { describe, expect, it } from 'vitest';
import {
  LAUNCH_KEY_STORAGE_ITEM,
  takeLaunchKey,
} from '../../../src/renderer/src/bridge/launch-key.js';

function environment(url: string, stored: Record<string, string> = {}) {
  const parsed = new URL(url);
  const replaced: string[] = [];
  const storage = new Map(Object.entries(stored));
  return {
    replaced,
    storage,
    env: {
      location: { hash: parsed.hash, pathname: parsed.pathname, search: parsed.search },
      history: {
        state: null,
        replaceState: (_d: unknown, _u: string, to: string) => void replaced.push(to),
      },
      storage: {
        getItem: (k: string) => storage.get(k) ?? null,
        setItem: (k: string, v: string) => void storage.set(k, v),
      },
    },
  };
}

describe('launch key handling', () => {
  it('takes the key from the fragment, keeps it for this tab and removes it from the address bar', () => {
    const { env, replaced, storage } = environment(
      'http://127.0.0.1:5100/index.html?x=1#key=s3cr%2Bt',
    );
    expect(takeLaunchKey(env)).toBe('s3cr+t');
    expect(storage.get(LAUNCH_KEY_STORAGE_ITEM)).toBe('s3cr+t');
    expect(replaced).toEqual(['/index.html?x=1']);
  });

  it('keeps other fragment parameters when it removes the key', () => {
    const { env, replaced } = environment('http://127.0.0.1:5100/#key=abc&view=list');
    expect(takeLaunchKey(env)).toBe('abc');
    expect(replaced).toEqual(['/#view=list']);
  });

  it('after a reload, finds the key it kept', () => {
    const { env, replaced } = environment('http://127.0.0.1:5100/', {
      [LAUNCH_KEY_STORAGE_ITEM]: 'kept',
    });
    expect(takeLaunchKey(env)).toBe('kept');
    expect(replaced).toEqual([]);
  });

  it('prefers a new key in the address over an old one it kept', () => {
    const { env, storage } = environment('http://127.0.0.1:5100/#key=new', {
      [LAUNCH_KEY_STORAGE_ITEM]: 'old',
    });
    expect(takeLaunchKey(env)).toBe('new');
    expect(storage.get(LAUNCH_KEY_STORAGE_ITEM)).toBe('new');
  });

  it('returns null when the page has no key at all', () => {
    const { env } = environment('http://127.0.0.1:5100/');
    expect(takeLaunchKey(env)).toBeNull();
  });

  it('still returns the key when storage is refused', () => {
    const { env } = environment('http://127.0.0.1:5100/#key=abc');
    const refusing = {
      ...env,
      storage: {
        getItem: () => {
          throw new Error('SecurityError');
        },
        setItem: () => {
          throw new Error('SecurityError');
        },
      },
    };
    expect(takeLaunchKey(refusing)).toBe('abc');
  });
});
