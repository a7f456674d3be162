// The channel between the main thread and the workspace thread, over a real MessageChannel.
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/app-error.js';
import type { Handlers } from '../../../src/main/threads/channel.js';
import {
  ThreadCallError,
  ThreadGoneError,
  openChannel,
} from '../../../src/main/threads/channel.js';

const ports: MessageChannel[] = [];
afterEach(() => {
  for (const pair of ports.splice(0)) {
    pair.port1.close();
    pair.port2.close();
  }
});

function pair(left: Handlers, right: Handlers) {
  const wire = new MessageChannel();
  ports.push(wire);
  return { left: openChannel(wire.port1, left), right: openChannel(wire.port2, right) };
}

describe('a channel between two threads', () => {
  it('answers calls both ways, several at once, each with its own value', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { left, right } = pair(
      { twice: (n: number) => n * 2 },
      {
        slow: async () => {
          await slow;
          return 'slow';
        },
        fast: (a: string, b: string) => `${a}${b}`,
        // Calls back across while its own call is still open.
        back: async () => (await right.call<number>('twice', 21)) + 1,
      },
    );
    const waiting = left.call<string>('slow');
    expect(await left.call('fast', 'a', 'b')).toBe('ab');
    expect(await left.call('back')).toBe(43);
    expect(left.pending()).toBe(1);
    release();
    expect(await waiting).toBe('slow');
    expect(left.pending()).toBe(0);
  });

  it('refuses a method the other side does not list, even one every object has', async () => {
    const { left } = pair({}, { listed: () => 1 });
    await expect(left.call('unlisted')).rejects.toThrow('no such call: unlisted');
    await expect(left.call('toString')).rejects.toThrow('no such call: toString');
    await expect(left.call('__proto__')).rejects.toThrow('no such call: __proto__');
  });

  it('carries an error’s name, code, message and plain details, never its stack or cause', async () => {
    const failure = Object.assign(
      new AppError('store-key-missing', 'The key is gone', {
        cause: new Error('secret-token-abc'),
      }),
      { unsentReturns: 3, database: { nested: true } },
    );
    failure.name = 'StoreLockedError';
    const { left } = pair(
      {},
      {
        fail: () => {
          throw failure;
        },
      },
    );
    const error = await left.call('fail').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadCallError);
    const crossed = error as ThreadCallError;
    expect(crossed.name).toBe('StoreLockedError');
    expect(crossed.code).toBe('store-key-missing');
    expect(crossed.message).toBe('The key is gone');
    expect(crossed.expected).toBe(true);
    expect(crossed.details).toEqual({ unsentReturns: 3 });
    expect(crossed.cause).toBeUndefined();
    expect(JSON.stringify(crossed.stack)).not.toContain('secret-token-abc');
  });

  it('tells without waiting, and sends as JSON what a structured clone refuses', async () => {
    const { left, right } = pair({}, {});
    const heard: unknown[] = [];
    const off = right.onTell('log', (payload) => heard.push(payload));
    left.tell('log', { message: 'one' });
    left.tell('log', { message: 'two', fields: { fn: () => 1, n: 2 } });
    await expect.poll(() => heard.length).toBe(2);
    expect(heard).toEqual([{ message: 'one' }, { message: 'two', fields: { n: 2 } }]);
    off();
    left.tell('log', { message: 'three' });
    left.tell('other', null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toHaveLength(2);
  });

  it('fails every waiting call and every later one once the other side is gone', async () => {
    const { left } = pair({}, { never: () => new Promise(() => undefined) });
    const waiting = left.call('never');
    await new Promise((resolve) => setTimeout(resolve, 10));
    left.fail(new ThreadGoneError('the workspace thread ended (exit 1)'));
    await expect(waiting).rejects.toThrow('the workspace thread ended (exit 1)');
    await expect(left.call('never')).rejects.toBeInstanceOf(ThreadGoneError);
    expect(left.pending()).toBe(0);
  });
});
