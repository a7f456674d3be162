// The admin CLI's own checks: each mistake is named in the CLI's terms before any API call.
import { describe, expect, it } from 'vitest';
import { CliError, osReason } from '../../../server/src/cli/cli-error.js';
import { runAdminCli } from '../../../server/src/demo/sor/admin-cli.js';

/** Runs the CLI with a fetch that must not be reached; returns the error it throws. */
async function refusal(argv: readonly string[]): Promise<string> {
  let fetched = 0;
  const run = runAdminCli(argv, {
    env: { ATTACHE_ADMIN_TOKEN: 'a-token' },
    fetch: () => {
      fetched += 1;
      return Promise.reject(new Error('the CLI called the API'));
    },
    out: () => undefined,
  });
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(fetched).toBe(0);
  expect(error).toBeInstanceOf(CliError);
  return (error as CliError).message;
}

const complete = [
  'create',
  '--title',
  'Test briefing',
  '--body',
  '<p>Hello</p>',
  '--classification',
  'OFFICIAL',
  '--priority',
  'routine',
];
const without = (option: string) => {
  const at = complete.indexOf(option);
  return [...complete.slice(0, at), ...complete.slice(at + 2)];
};

describe('sor create: options checked before the API is called', () => {
  it('names a missing --title and where the help is', async () => {
    expect(await refusal(without('--title'))).toBe(
      "Missing --title: the briefing's title (see `npm run sor -- create --help`).",
    );
  });

  it('lists the priorities when --priority is missing or not one of them', async () => {
    expect(await refusal(without('--priority'))).toMatch(
      /^Missing --priority: routine, priority or urgent/,
    );
    expect(await refusal([...complete, '--priority', 'high'])).toMatch(
      /^--priority "high" is not a priority: use routine, priority or urgent/,
    );
  });

  it('lists the markings when --classification is missing or not one of them', async () => {
    const listed = 'UNOFFICIAL, OFFICIAL, "OFFICIAL: Sensitive", PROTECTED, SECRET, "TOP SECRET"';
    expect(await refusal(without('--classification'))).toContain(listed);
    expect(await refusal([...complete, '--classification', 'RESTRICTED'])).toContain(
      `--classification "RESTRICTED" is not a marking: use one of ${listed}`,
    );
  });

  it('reports every missing option at once', async () => {
    const message = await refusal(['create']);
    for (const option of ['--title', '--body', '--classification', '--priority'])
      expect(message).toContain(option);
  });

  it('names an unreadable --body-file and the OS reason in one line, without a stack', async () => {
    const message = await refusal([...without('--body'), '--body-file', '/nonexistent/body.html']);
    expect(message).toBe(
      'Cannot read --body-file /nonexistent/body.html: no such file or directory.',
    );
  });

  it('refuses both --body and --body-file, and an unknown option', async () => {
    expect(await refusal([...complete, '--body-file', 'x.html'])).toMatch(/not both/);
    expect(await refusal([...complete, '--titel', 'x'])).toBe(
      'Unknown option --titel (see `npm run sor -- --help`).',
    );
  });
});

describe('sor update and share: options checked before the API is called', () => {
  it('wants at least one field to update, and a briefing id', async () => {
    expect(await refusal(['update', 'BRF-000001'])).toMatch(/^Nothing to update/);
    expect(await refusal(['update', '--title', 'x'])).toMatch(/needs a briefing id/);
  });

  it('wants at least one user to share with', async () => {
    expect(await refusal(['share', 'BRF-000001'])).toMatch(/^Name at least one user/);
  });
});

describe('OS error reasons', () => {
  it('keeps the reason of a Node file error, without its code and path', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/root/secret.html'"), {
      code: 'EACCES',
    });
    expect(osReason(error)).toBe('permission denied');
    expect(osReason(new Error('connect ECONNREFUSED 127.0.0.1:5070'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:5070',
    );
  });
});
