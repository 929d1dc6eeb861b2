/**
 * The `steadfast` CLI's help texts (one per command and sub-command) and its
 * version; `tenant` and `key` live in usage-owners.ts, the shared pieces in
 * usage-parts.ts. Printing them needs nothing but these files: no
 * configuration, no database, no port.
 */
import fs from 'node:fs';

/** the version in apps/orders/package.json, found relative to this module */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

import {
  KEY_CREATE_USAGE,
  KEY_LIST_USAGE,
  KEY_REVOKE_USAGE,
  KEY_USAGE,
  TENANT_CREATE_USAGE,
  TENANT_LIMITS_USAGE,
  TENANT_USAGE,
} from './usage-owners.ts';
import { DATABASE_ENV, HELP_OPTION, LOG_ENV, MORE, PARTNER_ENV, WORKER_ENV } from './usage-parts.ts';

export const MAIN_USAGE = `Usage: steadfast <command> [options]

The Steadfast reference Orders API and its tools. From a checkout run it as
"npx steadfast <command>". npx keeps --help for itself: ask "npx steadfast help
[command]", or pass the flag after "--" ("npx steadfast -- migrate --help").

Commands:
  start                    embedded Postgres (unless DATABASE_URL), migrations, API + worker, sandbox, banner
  web                      the API only (for scale-out behind a load balancer)
  worker                   durable jobs and the outbox (any number, against one Postgres)
  sandbox                  the simulated partners alone, on SANDBOX_PORT
  migrate                  apply pending database migrations and exit
  tenant create <name>     create a tenant; prints {"tenantId","apiKey"} as one JSON line
  tenant limits <tenantId> show or change a tenant's rate limits
  key list                 the API keys of a tenant or an operator
  key create               a key for a tenant, or an operator's (operator keys: key create --operator <name>)
  key revoke <keyId>       revoke a key; every running instance refuses it within a second
  config check             print the effective configuration, secrets masked; exit 1 on problems
  check <base-url>         test any API against its OpenAPI document (the steadfast-check checker)
  check webhooks <url>     test a webhook receiver with Standard Webhooks deliveries ("steadfast check webhooks --help")
  help [command]           print this help, or a command's

Options:
  -h, --help               print this help (after a command: that command's help) and exit
  -v, --version            print the version and exit

Configuration comes from environment variables; each command's help names those it reads.
${MORE}

Exit codes:
  0  success
  1  runtime failure: bad configuration, unreachable database, a failed start
  2  usage error: unknown command or option, missing or extra argument
`;

const START_USAGE = `Usage: steadfast start

Runs the whole service on one machine: the embedded Postgres cluster in
STEADFAST_HOME/pg (unless DATABASE_URL is set), pending migrations, the API with
a worker in the same process, the simulated partners on SANDBOX_PORT, then a
banner with the URLs and the demo API key. Runs until SIGINT or SIGTERM, then
drains requests and jobs and stops the cluster it started.

${HELP_OPTION}

Environment:
  PORT                     API port (3000; 0 picks a free one, the banner shows it)
  HOST                     bind address (127.0.0.1)
  SANDBOX_PORT             port of the simulated partners (3001; 0 = off, when partners are real)
${DATABASE_ENV}
  STEADFAST_DEMO_API_KEY   API key of the demo tenant (generated once, kept in the home; in production
                           none is generated: no demo tenant unless it is set)
  STEADFAST_DEMO_OPERATOR_KEY
                           API key of the demo operator (operator routes), the same way
${PARTNER_ENV}
  PAYMENTS_WEBHOOK_URL     where the sandbox sends payment webhooks (this API's /webhooks/payments)
  IDEMPOTENCY_RETENTION_S, IDEMPOTENCY_LEASE_S
                           how long idempotency keys are kept; how long a claim may stay silent
${WORKER_ENV}
${LOG_ENV}
${MORE}
`;

const WEB_USAGE = `Usage: steadfast web

Runs the API alone (no worker, no sandbox), for scale-out: any number of web
processes behind a load balancer, against one Postgres. Applies pending
migrations at start (concurrent starts are safe). Runs until SIGINT or SIGTERM.

${HELP_OPTION}

Environment:
  PORT                     API port (3000; 0 picks a free one)
  HOST                     bind address (127.0.0.1)
${DATABASE_ENV}
  STEADFAST_DEMO_API_KEY   API key of the demo tenant (generated once, kept in the home)
  STEADFAST_DEMO_OPERATOR_KEY
                           API key of the demo operator (operator routes), the same way
${PARTNER_ENV}
  IDEMPOTENCY_RETENTION_S, IDEMPOTENCY_LEASE_S
                           how long idempotency keys are kept; how long a claim may stay silent
${LOG_ENV}
${MORE}
`;

const WORKER_USAGE = `Usage: steadfast worker

Runs durable jobs (payments), the outbox dispatcher, the webhook inbox
processor, periodic clean-up and payment reconciliation; any number of workers
against one Postgres. Serves /healthz and /metrics on WORKER_METRICS_PORT.
Runs until SIGINT or SIGTERM, letting running jobs finish.

${HELP_OPTION}

Environment:
  WORKER_METRICS_PORT      port of /healthz and /metrics (9465; 0 = off)
  HOST                     bind address of that port (127.0.0.1)
${DATABASE_ENV}
${PARTNER_ENV}
${WORKER_ENV}
${LOG_ENV}
${MORE}
`;

const SANDBOX_USAGE = `Usage: steadfast sandbox

Runs the simulated partners alone (payments, messaging, pricing, analytics,
recommendations) on SANDBOX_PORT, so a crash test can kill the API while the
partners keep their ledgers. Needs no database. Runs until SIGINT or SIGTERM.

${HELP_OPTION}

Environment:
  SANDBOX_PORT             port of the partners (3001; must not be 0 here)
  HOST                     bind address (127.0.0.1)
  PORT                     the API's port, for the default webhook URL (3000)
  PAYMENTS_WEBHOOK_URL     where payment webhooks go (http://<HOST>:<PORT>/webhooks/payments)
  PAYMENTS_WEBHOOK_SECRET  the secret they are signed with (generated, kept in STEADFAST_HOME)
  STEADFAST_HOME           local state (./.steadfast)
${LOG_ENV}
${MORE}
`;

const MIGRATE_USAGE = `Usage: steadfast migrate

Applies pending database migrations and exits, printing {"applied":[...ids]} as
one JSON line. Run it once per deploy (concurrent runs are safe: an advisory
lock, each file applied once and recorded with its checksum). Without
DATABASE_URL it joins the embedded cluster of a running "steadfast start" in the
same home, or starts and stops that cluster itself.

${HELP_OPTION}

Environment:
${DATABASE_ENV}
${LOG_ENV}
${MORE}
`;

const CONFIG_USAGE = `Usage: steadfast config <sub-command>

The configuration every command reads from the environment (DATABASE_URL,
PAYMENTS_WEBHOOK_SECRET, ...: docs/configuration.md lists every variable).

Sub-commands:
  check [--role <role>]    print it with secrets masked; exit 1 on problems (see "steadfast config check --help")

${HELP_OPTION}
`;

const CONFIG_CHECK_USAGE = `Usage: steadfast config check [--role <role>]

Prints the effective configuration as one JSON object, secrets masked (API keys,
webhook secrets, the password in DATABASE_URL and DATABASE_DIRECT_URL), then one
line per problem on stderr: a bad value, or in production a setting that would
otherwise be generated or defaulted (PAYMENTS_WEBHOOK_SECRET, DATABASE_URL). Exits
1 when there is a problem, 0 otherwise. Connects to nothing.

Options:
  --role <role>            only what this role needs: start, web, worker, sandbox, migrate
                           or tenant (default: every role)
  -h, --help               print this help and exit (nothing else runs)

Environment: every variable of docs/configuration.md, e.g.
${DATABASE_ENV}
${PARTNER_ENV}
${MORE}
`;

/** help texts by command path ("tenant create" for a sub-command); `check` prints the checker's own */
export const USAGES: Record<string, string> = {
  start: START_USAGE,
  web: WEB_USAGE,
  worker: WORKER_USAGE,
  sandbox: SANDBOX_USAGE,
  migrate: MIGRATE_USAGE,
  tenant: TENANT_USAGE,
  'tenant create': TENANT_CREATE_USAGE,
  'tenant limits': TENANT_LIMITS_USAGE,
  key: KEY_USAGE,
  'key list': KEY_LIST_USAGE,
  'key create': KEY_CREATE_USAGE,
  'key revoke': KEY_REVOKE_USAGE,
  config: CONFIG_USAGE,
  'config check': CONFIG_CHECK_USAGE,
};
