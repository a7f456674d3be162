// What the server's command-line tools (the demo SOR's admin CLI, the devices CLI) share: the
// error for a mistake the person can fix, the environment a command runs in, and the plain
// reason inside an operating-system error message.

/** A mistake the person can fix; printed as is, without a stack. */
export class CliError extends Error {}

export type CliDeps = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly out: (text: string) => void;
};

/** "no such file or directory" from Node's "ENOENT: no such file or directory, open '/x'". */
export function osReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^[A-Z][A-Z0-9_]*: (.+?)(?:, \w+(?: '.*')?)?$/s.exec(message);
  return match?.[1] ?? message;
}
