// Two threads of the device talking over one port, each able to call the other and to tell it
// things: the person's workspace runs in a thread of its own (session/workspace-thread.ts) and
// calls back into the main thread for what only the main thread holds (the keychain, the
// access token, the log), while the main thread calls the workspace for the reader. Calls run
// concurrently on both sides; a reply carries the value or the error's name, code and message
// (never its stack or cause), rebuilt on the caller's side as a ThreadCallError.
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';

type CallMessage = {
  readonly kind: 'call';
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
};
type ReplyMessage =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: ErrorShape };
type TellMessage = { readonly kind: 'tell'; readonly topic: string; readonly payload: unknown };
type Message = CallMessage | ReplyMessage | TellMessage;

/** What of an error crosses: enough to branch on and to show, nothing that could leak. */
export type ErrorShape = {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly expected?: boolean;
  /** Plain numbers and strings the error carries for its handlers (say, unsent returns). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
};

/** An error raised on the other side of a channel: its name, code and message. */
export class ThreadCallError extends Error {
  override readonly name: string;
  readonly code: string | undefined;
  readonly expected: boolean | undefined;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = shape.name;
    this.code = shape.code;
    this.expected = shape.expected;
    this.details = shape.details ?? {};
  }
}

/** The other side ended (crashed, or was stopped) before it answered. */
export class ThreadGoneError extends Error {
  override readonly name = 'ThreadGoneError';
}

const DETAIL_KEYS = ['unsentReturns', 'database', 'status'] as const;

export function errorShape(error: unknown): ErrorShape {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as unknown as Record<string, unknown>;
  const details: Record<string, string | number | boolean> = {};
  for (const key of DETAIL_KEYS) {
    const value = fields[key];
    if (['string', 'number', 'boolean'].includes(typeof value)) {
      details[key] = value as string | number | boolean;
    }
  }
  return {
    name: error.name,
    message: error.message,
    ...(typeof fields['code'] === 'string' ? { code: fields['code'] } : {}),
    ...(typeof fields['expected'] === 'boolean' ? { expected: fields['expected'] } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

export type Handlers = Readonly<Record<string, (...args: never[]) => unknown>>;

export type Channel = {
  readonly call: <T>(method: string, ...args: readonly unknown[]) => Promise<T>;
  /** A call whose `transfer` list (say, a PDF's bytes) moves to the other side uncopied. */
  readonly callTransferring: <T>(
    method: string,
    args: readonly unknown[],
    transfer: readonly TransferListItem[],
  ) => Promise<T>;
  /** Tells the other side something; no answer. */
  readonly tell: (topic: string, payload?: unknown) => void;
  readonly onTell: (topic: string, listener: (payload: unknown) => void) => () => void;
  /** Calls not yet answered. */
  readonly pending: () => number;
  /** Fails every call waiting and every later one with `error`. */
  readonly fail: (error: Error) => void;
};

type Port = Pick<MessagePort | Worker, 'postMessage' | 'on' | 'off'>;

/** Values a structured clone refuses (a function in a log field, say) cross as JSON instead. */
function post(port: Port, message: Message, transfer: readonly TransferListItem[] = []): void {
  try {
    port.postMessage(message, [...transfer]);
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'DataCloneError') throw error;
    port.postMessage(JSON.parse(JSON.stringify(message)) as Message);
  }
}

/**
 * Serves `handlers` to the other side and calls its own. A call to a method not in `handlers`
 * is refused: what a side may ask of the other is an explicit list.
 */
export function openChannel(port: Port, handlers: Handlers): Channel {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let gone: Error | null = null;

  const answer = async (message: CallMessage): Promise<void> => {
    let reply: ReplyMessage;
    try {
      const handler = Object.hasOwn(handlers, message.method) ? handlers[message.method] : null;
      if (!handler) throw new Error(`no such call: ${message.method}`);
      const value = await handler(...(message.args as never[]));
      reply = { kind: 'reply', id: message.id, ok: true, value };
    } catch (error) {
      reply = { kind: 'reply', id: message.id, ok: false, error: errorShape(error) };
    }
    if (!gone) post(port, reply);
  };

  port.on('message', (message: Message) => {
    if (message.kind === 'call') {
      void answer(message);
    } else if (message.kind === 'reply') {
      const call = waiting.get(message.id);
      if (!call) return;
      waiting.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new ThreadCallError(message.error));
    } else {
      for (const listener of listeners.get(message.topic) ?? []) listener(message.payload);
    }
  });

  const call = <T>(
    method: string,
    args: readonly unknown[],
    transfer: readonly TransferListItem[],
  ): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      post(port, { kind: 'call', id, method, args }, transfer);
    });
  };

  return {
    call: (method, ...args) => call(method, args, []),
    callTransferring: call,
    tell: (topic, payload) => {
      if (!gone) post(port, { kind: 'tell', topic, payload });
    },
    onTell: (topic, listener) => {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    pending: () => waiting.size,
    fail: (error) => {
      gone ??= error;
      for (const call of waiting.values()) call.reject(gone);
      waiting.clear();
    },
  };
}
