// The one parser of the admin CLIs' command lines (the demo SOR's, the devices'). It is Node's
// own util.parseArgs, strict, so an unknown or misspelt option is refused rather than ignored;
// its refusals become a CliError in one line that names the option and where help is. A library
// such as commander or yargs would bring a command framework and its own help and errors, while
// these CLIs are thin clients whose commands are a switch on the first word and whose help text
// is written by hand: parsing and checking the options is all they need of a parser.
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { CliError } from './cli-error.js';

/**
 * Options and positionals of `argv`, typed after `options`. `help` is how to ask for help, such
 * as "npm run sor -- --help", named in every refusal.
 */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
  help: string,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error;
    // Node's own wording goes on to explain `--` for positionals that start with a dash; what
    // the person needs is which option is wrong.
    const message = (error as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    throw new CliError(
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option
        ? `Unknown option ${option} (see \`${help}\`).`
        : `${message.split('\n')[0] ?? message} (see \`${help}\`).`,
    );
  }
}
