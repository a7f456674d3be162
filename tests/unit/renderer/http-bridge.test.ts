import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.js';
import { API_EVENTS, API_VERBS, type SyncStatus } from '../../../src/shared/ipc.js';
import {
  HOST_API_PREFIX,
  HOST_EVENTS_PATH,
  HOST_KEY_HEADER,
} from '../../../src/shared/protocol.js';
import {
  createHttpBridge,
  type EventSourceLike,
} from '../../../src/renderer/src/bridge/http-bridge.js';

type Call = { url: string; init: RequestInit };

/** A stub of fetch: records each call and answers with what the test scripted. */
function stubFetch(answer: (call: Call) => Promise<Response> | Response) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return answer(call);
  };
  return { calls, fetch };
}

/** A stub of EventSource: the test fires named events, errors and reconnections by hand. */
class StubEventSource implements EventSourceLike {
  static opened: StubEventSource[] = [];
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();
  constructor(readonly url: string) {
    StubEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (event: { data?: unknown }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  fire(type: string, data?: string) {
    for (const listener of this.listeners.get(type) ?? []) listener({ data });
  }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function bridge(
  answer: (call: Call) => Promise<Response> | Response,
  key: string | null = 'launch-secret',
) {
  StubEventSource.opened = [];
  const stub = stubFetch(answer);
  const api = createHttpBridge({
    key,
    fetch: stub.fetch,
    createEventSource: (url) => new StubEventSource(url),
  });
  return { api, calls: stub.calls };
}

describe('browser host bridge client', () => {
  it('offers exactly the contract verbs and events, nothing else', () => {
    const { api } = bridge(() => json({ ok: true, value: null }));
    expect(Object.keys(api).sort()).toEqual(
      [...Object.keys(API_VERBS), ...Object.keys(API_EVENTS)].sort(),
    );
  });

  it.each(Object.entries(API_VERBS))(
    '%s posts JSON to the %s channel with the launch key',
    async (verb, channel) => {
      const { api, calls } = bridge(() => json({ ok: true, value: 'answer' }));
      const call = api[verb as keyof typeof API_VERBS] as (request: unknown) => Promise<unknown>;
      const request = channel === 'briefings:list' ? {} : { id: 'briefing:SOR-1', name: 'a.pdf' };
      await expect(call(request)).resolves.toEqual({ ok: true, value: 'answer' });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.url).toBe(`${HOST_API_PREFIX}${channel}`);
      expect(calls[0]?.init.method).toBe('POST');
      const headers = calls[0]?.init.headers as Record<string, string>;
      expect(headers[HOST_KEY_HEADER]).toBe('launch-secret');
      expect(headers['content-type']).toBe('application/json');
      expect(JSON.parse(calls[0]?.init.body as string)).toEqual(request);
    },
  );

  it('passes an error Result from the host through unchanged, whatever the HTTP status', async () => {
    const error = { ok: false, error: { code: 'not-found', message: 'No such briefing' } };
    const { api } = bridge(() => json(error, 404));
    await expect(api.getBriefing({ id: 'x' })).resolves.toEqual(error);
  });

  it('maps a network failure to host-unreachable', async () => {
    const { api } = bridge(() => Promise.reject(new TypeError('Failed to fetch')));
    const result = await api.listBriefings({});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('host-unreachable');
  });

  it('maps a refused key without a Result body to host-key-rejected', async () => {
    const { api } = bridge(() => new Response('forbidden', { status: 403 }));
    const result = await api.getSession({});
    expect(!result.ok && result.error.code).toBe('host-key-rejected');
  });

  it('explains a key the host refuses as a restarted reader whose new address is in the terminal', async () => {
    // The host's own refusal is a Result; the page words it, as it knows it sent a key.
    const refusal = {
      ok: false,
      error: {
        code: 'host-unauthorized',
        message: 'This page is not connected to the reader host.',
      },
    };
    const { api } = bridge(() => json(refusal, 401));
    const result = await api.getSession({});
    expect(!result.ok && result.error.code).toBe('host-key-rejected');
    expect(!result.ok && result.error.message).toMatch(/restarted/);
    expect(!result.ok && result.error.message).toMatch(/new address printed in the terminal/);
  });

  it('maps an answer that is not a Result to host-bad-response', async () => {
    const { api } = bridge(() => new Response('<html>proxy error</html>', { status: 502 }));
    const result = await api.getSyncStatus({});
    expect(!result.ok && result.error.code).toBe('host-bad-response');
    const { api: api2 } = bridge(() => json({ ok: false, error: 'no shape' }));
    const result2 = await api2.getSyncStatus({});
    expect(!result2.ok && result2.error.code).toBe('host-bad-response');
  });

  it('without a launch key, makes no request and says how to get one', async () => {
    const { api, calls } = bridge(() => json({ ok: true, value: null }), null);
    const result = await api.listBriefings({});
    expect(!result.ok && result.error.code).toBe('host-key-missing');
    // Where the address is: the terminal's banner line, and that a reload keeps the key.
    expect(!result.ok && result.error.message).toContain(
      'open the address on the line “Reader (open in a browser)”: it ends in #key=…',
    );
    expect(!result.ok && result.error.message).toContain('Reloading a tab opened from there');
    expect(calls).toHaveLength(0);
  });

  it('subscribes through one event stream carrying the key, and closes it after the last unsubscribe', () => {
    const { api } = bridge(() => json({ ok: true, value: null }));
    const statuses: SyncStatus[] = [];
    const changes: (readonly string[])[] = [];
    const offStatus = api.onSyncStatus((s) => statuses.push(s));
    const offChanges = api.onBriefingsChanged((c) => changes.push(c.ids));
    expect(StubEventSource.opened).toHaveLength(1);
    const source = StubEventSource.opened[0]!;
    expect(source.url).toBe(`${HOST_EVENTS_PATH}?key=launch-secret`);

    const status: SyncStatus = {
      state: 'syncing',
      lastSyncedAt: null,
      pendingUploads: 2,
      message: null,
    };
    source.fire('sync:status-changed', JSON.stringify(status));
    source.fire('briefings:changed', JSON.stringify({ ids: ['briefing:1'] }));
    source.fire('briefings:changed', '{not json');
    expect(statuses).toEqual([status]);
    expect(changes).toEqual([['briefing:1']]);

    offStatus();
    expect(source.closed).toBe(false);
    offChanges();
    expect(source.closed).toBe(true);
  });

  it('reports lost contact with the host as a sync error, then refetches everything on reconnect', async () => {
    const live: SyncStatus = {
      state: 'up-to-date',
      lastSyncedAt: '2025-11-22T08:00:00Z',
      pendingUploads: 1,
      message: null,
    };
    const { api, calls } = bridge(() => json({ ok: true, value: live }));
    const statuses: SyncStatus[] = [];
    const changes: (readonly string[])[] = [];
    api.onSyncStatus((s) => statuses.push(s));
    api.onBriefingsChanged((c) => changes.push(c.ids));
    const source = StubEventSource.opened[0]!;
    source.readyState = 1;
    source.fire('sync:status-changed', JSON.stringify(live));

    source.readyState = 0; // EventSource is reconnecting
    source.fire('error');
    source.fire('error');
    expect(statuses).toHaveLength(2);
    expect(statuses[1]).toMatchObject({
      state: 'error',
      lastSyncedAt: live.lastSyncedAt,
      pendingUploads: 1,
    });

    source.readyState = 1;
    source.fire('open');
    expect(changes).toEqual([[]]);
    await eventually(() => {
      expect(calls.at(-1)?.url).toBe(`${HOST_API_PREFIX}sync:status`);
      expect(statuses.at(-1)).toEqual(live);
    });
  });

  it('when the host refuses the event stream for good, says why instead of "Retrying…"', async () => {
    // A host restarted with a new launch key: the stream is refused, and so is every call.
    const { api } = bridge(() =>
      json({ ok: false, error: { code: 'host-unauthorized', message: 'refused' } }, 401),
    );
    const statuses: SyncStatus[] = [];
    api.onSyncStatus((s) => statuses.push(s));
    const source = StubEventSource.opened[0]!;
    source.readyState = 2; // EventSource.CLOSED: it will not reconnect
    source.fire('error');
    await eventually(() => expect(statuses).toHaveLength(1));
    expect(statuses[0]?.state).toBe('error');
    expect(statuses[0]?.message).toMatch(/restarted.*new address printed in the terminal/);
  });

  it('keeps every listener informed when one of them throws', () => {
    const { api } = bridge(() => json({ ok: true, value: null }));
    const heard: string[] = [];
    api.onBriefingsChanged(() => {
      throw new Error('listener bug');
    });
    api.onBriefingsChanged((c) => heard.push(...c.ids));
    const originalSetTimeout = globalThis.setTimeout;
    const rethrown: unknown[] = [];
    // The bridge rethrows a listener's error on a later tick; catch it here instead.
    globalThis.setTimeout = ((fn: () => void) => {
      try {
        fn();
      } catch (error) {
        rethrown.push(error);
      }
      return 0;
    }) as typeof setTimeout;
    try {
      StubEventSource.opened[0]!.fire('briefings:changed', JSON.stringify({ ids: ['b'] }));
    } finally {
      globalThis.setTimeout = originalSetTimeout;
    }
    expect(heard).toEqual(['b']);
    expect(rethrown).toHaveLength(1);
  });
});
