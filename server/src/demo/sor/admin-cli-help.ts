// The demo SOR admin CLI's help: the usage, each command's options, and how it connects.
import { CLASSIFICATIONS, PRIORITIES } from '../../../../src/shared/briefing.js';
import { DEFAULT_PORTS } from '../../../../src/shared/protocol.js';
import { DEFAULT_DATA_DIR } from './admin-cli-client.js';

export const RUN = 'npm run sor --';

const CONNECTION_HELP = `Connection (flags or environment):
  --url <url>          ATTACHE_SOR_URL, default http://127.0.0.1:$ATTACHE_SOR_PORT (${DEFAULT_PORTS.sor})
  --token <token>      ATTACHE_ADMIN_TOKEN
  --token-file <file>  default $ATTACHE_DATA_DIR/secrets/admin-token ($ATTACHE_DATA_DIR: ${DEFAULT_DATA_DIR})
  --json               print the raw JSON response`;

export const classificationList = CLASSIFICATIONS.map((c) => (c.includes(' ') ? `"${c}"` : c)).join(
  ', ',
);
export const priorityList = `${PRIORITIES.slice(0, -1).join(', ')} or ${PRIORITIES.at(-1) ?? ''}`;

const CONTENT_HELP = `  --title <text>            the briefing's title
  --body <html>             the body as HTML, or
  --body-file <file.html>   the body read from a file
  --classification <marking>  one of ${classificationList}
  --priority <level>        ${priorityList}
  --summary <text>          one or two sentences for the list (default: from the body)
  --sender-name <name>      default: Ministerial Briefing Unit
  --sender-role <role>
  --attach <file>           an attachment; repeat for more`;

export const HELP: Readonly<Record<string, string>> = {
  create: `Usage: ${RUN} create --title <text> (--body <html> | --body-file <file>)
         --classification <marking> --priority <level> [options]

Creates a briefing (version 1) and shares it with --share.

Required:
${CONTENT_HELP.split('\n').slice(0, 5).join('\n')}
Optional:
${CONTENT_HELP.split('\n').slice(5).join('\n')}
  --share <user1,user2>     recipients: users the SOR knows (${RUN} users)
  --allow-unknown-recipients
                            share with ids the SOR does not know yet (the briefing
                            reaches them when they first sign in)

${CONNECTION_HELP}`,
  update: `Usage: ${RUN} update <id> [options]

Stores a new version of briefing <id> with the fields given; the rest carry over. The
current recipients receive the new version.

${CONTENT_HELP}
                            (--attach replaces all attachments of the new version)

${CONNECTION_HELP}`,
  share: `Usage: ${RUN} share <id> <user1,user2> [--allow-unknown-recipients]

Shares briefing <id> with users the SOR knows (${RUN} users). --allow-unknown-recipients
also shares with ids it does not know yet: the briefing reaches them when they first sign in.

${CONNECTION_HELP}`,
  unshare: `Usage: ${RUN} unshare <id> <user1,user2>

Withdraws briefing <id> from those users; it disappears from their devices at the next sync.

${CONNECTION_HELP}`,
};

export const USAGE = `Attaché demo SOR admin CLI

Usage:
  ${RUN} list                      briefings, with their recipients
  ${RUN} get <id>                  one briefing as JSON
  ${RUN} users                     the users the SOR knows
  ${RUN} create --title <text> (--body <html> | --body-file <file>)
                 --classification <marking> --priority <level> [--share <users>] ...
  ${RUN} update <id> [--title ...] [--body ... | --body-file ...] ...
  ${RUN} share <id> <user1,user2>
  ${RUN} unshare <id> <user1,user2>
  ${RUN} annotations <id>          each person's highlights and notes on a briefing

${RUN} <command> --help shows a command's options.

${CONNECTION_HELP}
`;
