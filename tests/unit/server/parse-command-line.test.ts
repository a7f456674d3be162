// The admin CLIs' one command-line parser (server/src/cli/parse-command-line.ts): options typed
// as declared, and every mistake in the command line refused in one line that names it and
// where help is, by both CLIs, as commands that exit 1.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../server/src/cli/cli-error.js';
import { parseCommandLine } from '../../../server/src/cli/parse-command-line.js';
import { runDevicesCli } from '../../../server/src/devices/devices-cli.js';

const repo = path.resolve(import.meta.dirname, '../../..');

const OPTIONS = {
  by: { type: 'string' },
  attach: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
const HELP = 'npm run x -- --help';

function refusal(argv: readonly string[]): string {
  try {
    parseCommandLine(argv, OPTIONS, HELP);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as CliError).message;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
}

describe('parseCommandLine', () => {
  it('gives the positionals and the options as declared', () => {
    const { values, positionals } = parseCommandLine(
      ['wipe', 'alex', '--by', 'J. Smith', '--attach', 'a.pdf', '--attach', 'b.pdf', '-h'],
      OPTIONS,
      HELP,
    );
    expect(positionals).toEqual(['wipe', 'alex']);
    expect(values).toEqual({ by: 'J. Smith', attach: ['a.pdf', 'b.pdf'], help: true });
  });

  it('refuses an unknown option in one line naming it and where help is', () => {
    expect(refusal(['list', '--bye', 'x'])).toBe(
      'Unknown option --bye (see `npm run x -- --help`).',
    );
    expect(refusal(['list', '-b'])).toBe('Unknown option -b (see `npm run x -- --help`).');
  });

  it('refuses an option without its value, or a flag given one, in one line', () => {
    for (const argv of [
      ['wipe', '--by'],
      ['wipe', '--all=yes'],
    ]) {
      const message = refusal(argv);
      expect(message).not.toContain('\n');
      expect(message).toContain(argv[1]?.replace(/=.*/, ''));
      expect(message).toMatch(/ \(see `npm run x -- --help`\)\.$/);
    }
  });

  it('is what the devices CLI refuses a command line with', async () => {
    const run = (argv: readonly string[]) =>
      runDevicesCli(argv, {
        env: {},
        fetch: () => Promise.reject(new Error('the CLI called the server')),
        out: () => undefined,
      }).then(
        () => '',
        (error: unknown) => (error instanceof CliError ? error.message : String(error)),
      );
    expect(await run(['list', 'alex', '--al'])).toBe(
      'Unknown option --al (see `npm run devices -- --help`).',
    );
    // A missing value is no unknown option: the refusal says what is wrong with it.
    expect(await run(['list', 'alex', '--url'])).toMatch(
      /^Option '--url\b.*missing \(see `npm run devices -- --help`\)\.$/,
    );
  });
});

/** Runs a CLI's entry point as its own process. */
function runCommand(entry: string, argv: readonly string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(repo, entry), ...argv],
      { cwd: repo, timeout: 60_000 },
      (error, _stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(error ?? new Error('no exit code'));
        else resolve({ code, stderr });
      },
    );
  });
}

describe('an unknown option on the command line', () => {
  it.each([
    ['server/src/cli.ts', 'sor: Unknown option --titel (see `npm run sor -- --help`).\n'],
    [
      'server/src/devices-cli.ts',
      'devices: Unknown option --titel (see `npm run devices -- --help`).\n',
    ],
  ])('%s says which in one line and exits 1', async (entry, said) => {
    expect(await runCommand(entry, ['list', '--titel', 'x'])).toEqual({ code: 1, stderr: said });
  });
});
