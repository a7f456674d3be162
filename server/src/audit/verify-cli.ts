// Audit trail verifier (command line):
//   npm run audit:verify -- <trail.jsonl> [--head <head.json> | --head-seq <n> --head-hash <hex>] [--json]
//   node dist/server/src/audit/verify-cli.js <trail.jsonl>        (built, in production)
// Exit code 0: intact. 1: tampering or damage found (each problem printed). 2: usage or I/O error.
// Output goes to stdout/stderr directly: this is a command-line tool, not the server's log.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { headFileOf } from './audit-trail.js';
import { readHeadFile, verifyAuditFile } from './verify.js';

const USAGE = `Usage: audit:verify <trail.jsonl> [options]

Checks the hash chain of an Attaché audit trail: finds edited, deleted, inserted and reordered
records. The head written beside the trail (<trail>.head.json) is used when present, so records
cut from the end show too; give a head from the server's log ("audit head") to check against a
copy kept elsewhere.

Options:
  --head <file>        head file to check against (default: <trail>.head.json if it exists)
  --head-seq <n>       head seq from elsewhere (with --head-hash)
  --head-hash <hex>    head hash from elsewhere
  --no-head            do not check a head
  --json               print the result as JSON
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        head: { type: 'string' },
        'head-seq': { type: 'string' },
        'head-hash': { type: 'string' },
        'no-head': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help || positionals.length !== 1) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const file = positionals[0]!;
  if (!fs.existsSync(file)) {
    process.stderr.write(`No such file: ${file}\n`);
    return 2;
  }
  let head: { seq: number; hash: string } | null = null;
  try {
    if (values['head-seq'] !== undefined || values['head-hash'] !== undefined) {
      const seq = Number(values['head-seq']);
      const hash = values['head-hash'] ?? '';
      if (!Number.isSafeInteger(seq) || seq < 1 || !/^[0-9a-f]{64}$/.test(hash)) {
        process.stderr.write('--head-seq needs a positive number and --head-hash 64 hex digits.\n');
        return 2;
      }
      head = { seq, hash };
    } else if (!values['no-head']) {
      head = readHeadFile(values.head ?? headFileOf(file));
      if (values.head && !head) {
        process.stderr.write(`No such head file: ${values.head}\n`);
        return 2;
      }
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const result = await verifyAuditFile(file, { head });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, checkedHead: head, ...result }, null, 2)}\n`);
  } else if (result.ok) {
    process.stdout.write(
      `OK: ${file}: ${result.records} records, chain intact` +
        (result.head ? `, last seq ${result.head.seq} (${result.head.hash})` : '') +
        (head ? `; matches the head at seq ${head.seq}` : '; no head checked') +
        '\n',
    );
  } else {
    process.stdout.write(`TAMPERED OR DAMAGED: ${file}: ${result.records} records\n`);
    for (const p of result.problems) process.stdout.write(`  line ${p.line}: ${p.problem}\n`);
  }
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `audit:verify failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  },
);
