// The operator's command for a second site (docs/operations.md, "Two sites"). Run at the
// secondary site, with that site's server environment (ATTACHE_COUCH_URL, _USER, _PASSWORD_FILE)
// and the replication account the primary's operator handed over:
//   sync     sets up every person's databases here (with their `_security` and design documents)
//            and writes or updates (with --prune, removes) the `_replicator` documents that keep
//            them in step with the primary; idempotent, so it runs again from a timer as people
//            are added;
//   status   each replication's state and lag, from CouchDB's scheduler;
//   compact  compacts every briefings database here that received deletions (unshares at the
//            primary) since it last ran, so unshared content leaves this site's disk too.
// Passwords are read from files and go nowhere but into CouchDB's `_replicator` database.
import { parseArgs } from 'node:util';
import pMap from 'p-map';
import { CliError, osReason } from '../cli/cli-error.js';
import type { CliDeps } from '../cli/cli-error.js';
import { CONTROL_DB, ensureControlDb } from '../couch/control-db.js';
import { createCouchClient } from '../couch/couch-client.js';
import { CouchError } from '../couch/types.js';
import type { UserAuth } from '../couch/user-auth.js';
import { createUserDbs } from '../user-dbs/user-dbs.js';
import fs from 'node:fs';
import path from 'node:path';
import type { SiteEndpoint } from './replication-plan.js';
import { peopleOf, planReplications, wantedReplications } from './replication-plan.js';
import { readSiteReplications } from './replication-status.js';
import { SiteCouchError, createSiteCouch } from './site-couch.js';

const RUN = 'npm run sites --';
const REPLICATOR_DB = '_replicator';
/** People set up at once at this site (each is a handful of small requests). */
const CONCURRENCY = 4;

const USAGE = `Attaché sites: keep a secondary site in step with the primary (run at the secondary)

Usage:
  ${RUN} sync --primary-url <url> --primary-user <name> --primary-password-file <file> [--prune]
        every person's databases here, and the _replicator documents for them; --prune also
        removes those of people whose databases the primary no longer has
  ${RUN} status [--json]         each replication's state and lag (changes not yet read)
  ${RUN} compact                 compact briefings databases that received unshares since the last run

This site's CouchDB: ATTACHE_COUCH_URL, ATTACHE_COUCH_USER, ATTACHE_COUCH_PASSWORD_FILE (the
server's own settings). --local-url <url>: how this site's CouchDB reaches itself, when that is
not ATTACHE_COUCH_URL. Both accounts must be CouchDB server admins (docs/operations.md).`;

const OPTIONS = {
  'primary-url': { type: 'string' },
  'primary-user': { type: 'string' },
  'primary-password-file': { type: 'string' },
  'local-url': { type: 'string' },
  prune: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const option = /'(-[^' ]+)/.exec((error as Error).message)?.[1];
    throw new CliError(
      option ? `Unknown option ${option} (see \`${RUN} --help\`).` : (error as Error).message,
    );
  }
}

function passwordFrom(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8').trim();
  } catch (error) {
    throw new CliError(`Cannot read ${what} ${file} (${osReason(error)}).`);
  }
  if (text === '') throw new CliError(`${what} ${file} is empty.`);
  return text;
}

function localSite(env: CliDeps['env']): SiteEndpoint {
  const url = env['ATTACHE_COUCH_URL'];
  const username = env['ATTACHE_COUCH_USER'];
  const file = env['ATTACHE_COUCH_PASSWORD_FILE'];
  if (!url || !username || !file) {
    throw new CliError(
      "This site's CouchDB is named by ATTACHE_COUCH_URL, ATTACHE_COUCH_USER and ATTACHE_COUCH_PASSWORD_FILE (the server's own settings); set all three. Site replication needs Apache CouchDB: the embedded server has no replicator.",
    );
  }
  return {
    url: url.replace(/\/+$/, ''),
    credentials: { username, password: passwordFrom(file, 'ATTACHE_COUCH_PASSWORD_FILE') },
  };
}

function primarySite(values: ReturnType<typeof parse>['values']): SiteEndpoint {
  const url = values['primary-url'];
  const username = values['primary-user'];
  const file = values['primary-password-file'];
  if (!url || !username || !file) {
    throw new CliError(
      `sync needs --primary-url, --primary-user and --primary-password-file: the primary site's CouchDB and the replication account its operator gave you (see \`${RUN} --help\`).`,
    );
  }
  return {
    url: url.replace(/\/+$/, ''),
    credentials: { username, password: passwordFrom(file, '--primary-password-file') },
  };
}

// The command sets up databases only, never accounts: with per-user Basic authentication the
// site's server creates a person's account at their first sign-in there (it holds the service
// secret), and with JWT there is none.
const NO_ACCOUNTS: UserAuth = {
  mode: 'jwt',
  account: () => null,
  authorization: () => Promise.reject(new Error('the sites command never acts as a user')),
};

async function sync(
  values: ReturnType<typeof parse>['values'],
  deps: CliDeps,
  local: SiteEndpoint,
): Promise<void> {
  const primary = primarySite(values);
  const here = createSiteCouch('this site', local, deps.fetch);
  const there = createSiteCouch('the primary site', primary, deps.fetch);
  const people = peopleOf(await there.allDbs());
  const client = createCouchClient({ url: local.url, credentials: local.credentials });
  try {
    const userDbs = createUserDbs({
      couch: client,
      auth: NO_ACCOUNTS,
      serviceAdminName: local.credentials.username,
    });
    await pMap(people, (user) => userDbs.ensure(user), { concurrency: CONCURRENCY });
  } finally {
    await client.close();
  }
  // What this site's CouchDB uses to reach itself may differ from how this command reaches it.
  const secondary = { ...local, url: (values['local-url'] ?? local.url).replace(/\/+$/, '') };
  const wanted = wantedReplications(people, { primary, secondary });
  const current = await here.docsWithPrefix(REPLICATOR_DB, 'attache:');
  const plan = planReplications(current, wanted);
  // Removal only when asked: a primary answering with a partial list (restored from an old
  // backup, a database renamed by hand) must not silently stop everyone's replication.
  const prune = values.prune === true;
  await here.bulkDocs(REPLICATOR_DB, [
    ...plan.create,
    ...plan.update,
    ...(prune ? plan.remove.map((doc) => ({ ...doc, _deleted: true })) : []),
  ]);
  const stale = prune
    ? `${plan.remove.length} removed`
    : `${plan.remove.length} of people the primary no longer has kept (--prune removes them)`;
  deps.out(
    `${people.length} ${people.length === 1 ? 'person' : 'people'} at the primary (${primary.url}): ${plan.create.length} replications created, ${plan.update.length} updated, ${stale}, ${plan.unchanged} unchanged.`,
  );
}

async function status(
  values: ReturnType<typeof parse>['values'],
  deps: CliDeps,
  local: SiteEndpoint,
) {
  const replications = await readSiteReplications(createSiteCouch('this site', local, deps.fetch));
  if (values.json) {
    deps.out(JSON.stringify({ replications }, null, 2));
    return;
  }
  if (replications.length === 0) {
    deps.out(`No site replication at ${local.url}: run \`${RUN} sync\` first.`);
    return;
  }
  for (const r of replications) {
    const lag = r.changesPending === null ? 'lag unknown' : `${r.changesPending} changes pending`;
    const error = r.error ? `; ${r.errorCount} errors, last: ${r.error}` : '';
    deps.out(`${r.id}  ${r.state}  ${lag}  (updated ${r.lastUpdated ?? 'never'})${error}`);
  }
  const behind = replications.filter((r) => r.state !== 'running' || (r.changesPending ?? 0) > 0);
  deps.out(`${replications.length} replications; ${behind.length} not running or behind.`);
}

const compactionId = (db: string) => `site-compaction:${db}`;

/**
 * Compacts the briefings databases whose deletion count grew since the last run: a deletion here
 * is an unshare replicated from the primary, whose earlier revision stays in this site's files
 * until a compaction. The count is kept in this site's control database.
 */
async function compact(deps: CliDeps, local: SiteEndpoint): Promise<void> {
  const here = createSiteCouch('this site', local, deps.fetch);
  const client = createCouchClient({ url: local.url, credentials: local.credentials });
  try {
    await ensureControlDb(client, local.credentials.username);
    const dbs = (await here.allDbs()).filter((db) => /^userdb-(?:[0-9a-f]{2})+$/.test(db));
    let compacted = 0;
    for (const db of dbs) {
      const { body } = await here.request(`read ${db}`, 'GET', `/${encodeURIComponent(db)}`);
      const deletions = (body as { doc_del_count?: unknown }).doc_del_count;
      if (typeof deletions !== 'number') continue;
      const seen = await client.getDoc(CONTROL_DB, compactionId(db));
      if (deletions <= (typeof seen?.['deletions'] === 'number' ? seen['deletions'] : 0)) continue;
      await client.compact(db);
      try {
        await client.putDoc(CONTROL_DB, {
          _id: compactionId(db),
          ...(seen?._rev ? { _rev: seen._rev } : {}),
          db,
          deletions,
          compactedAt: new Date().toISOString(),
        });
      } catch (error) {
        // Another run recorded it meanwhile: it compacted too.
        if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
      }
      compacted += 1;
    }
    deps.out(
      `${compacted} of ${dbs.length} briefings databases compacted (new deletions since the last run).`,
    );
  } finally {
    await client.close();
  }
}

/** Runs one command line. Throws CliError for anything the person can fix. */
export async function runSitesCli(argv: readonly string[], deps: CliDeps): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command] = positionals;
  if (values.help || command === undefined || command === 'help') {
    deps.out(USAGE);
    return;
  }
  if (command !== 'sync' && command !== 'status' && command !== 'compact') {
    throw new CliError(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
  }
  const local = localSite(deps.env);
  try {
    if (command === 'sync') await sync(values, deps, local);
    else if (command === 'status') await status(values, deps, local);
    else await compact(deps, local);
  } catch (error) {
    if (error instanceof SiteCouchError) throw new CliError(error.message);
    if (error instanceof CouchError) throw new CliError(`This site's CouchDB: ${error.message}`);
    throw error;
  }
}
