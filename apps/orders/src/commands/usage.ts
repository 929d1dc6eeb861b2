/**
 * The `steadfast` CLI's help texts (one per command and sub-command) and its
 * version. Printing them needs nothing but this file: no configuration, no
 * database, no port.
 */
import fs from 'node:fs';

/** the version in apps/orders/package.json, found relative to this module */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

const HELP_OPTION = `Options:
  -h, --help               print this help and exit (nothing else runs)`;

const DATABASE_ENV = `  DATABASE_URL             a real Postgres, postgres://...; absent: the embedded cluster
  STEADFAST_HOME           local state: embedded cluster in <home>/pg, generated secrets (./.steadfast)
  STEADFAST_PG_PORT        port of the embedded cluster (a free port chosen at first start, kept in the home)
  DATABASE_DIRECT_URL      a direct connection when DATABASE_URL is a pooler (PgBouncer, transaction mode):
                           LISTEN/NOTIFY, migration locks and the job runner use it (default: DATABASE_URL)
  DATABASE_PREPARED_STATEMENTS
                           on or off: named prepared statements on DATABASE_URL (off when DATABASE_DIRECT_URL is set)
  STEADFAST_ENV            production or development (default: NODE_ENV=production means production); production
                           refuses generated secrets and the embedded database
  STEADFAST_ALLOW_EMBEDDED_DB
                           1: allow the embedded database in production`;

const PARTNER_ENV = `  PAYMENTS_URL, MESSAGING_URL, PRICING_URL, ANALYTICS_URL, RECOMMENDATIONS_URL
                           partner base URLs (default: the sandbox, http://127.0.0.1:<SANDBOX_PORT>/<partner>)
  PAYMENTS_WEBHOOK_SECRET  Standard Webhooks secret(s) whsec_..., comma-separated (required in production;
                           otherwise generated once and kept in the database, so every replica shares it)`;

const WORKER_ENV = `  JOB_MAX_ATTEMPTS, JOB_MAX_DELAY_MS, WORKER_DEAD_AFTER_S, RECONCILE_INTERVAL_S,
  RECONCILE_PENDING_AGE_S, PAYMENT_ABANDON_AFTER_S, OPERATIONS_RETENTION_S
                           retries, worker liveness, payment reconciliation, retention`;

const LOG_ENV = `  LOG_LEVEL                fatal, error, warn, info, debug, trace or silent (info)`;

const MORE = 'Every variable, its default and allowed values: docs/configuration.md';

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

const TENANT_USAGE = `Usage: steadfast tenant <sub-command>

Manages tenants (the owners of API keys).

Sub-commands:
  create <name> [--email <address>]
                           create a tenant and its first API key (see "steadfast tenant create --help")
  limits <tenantId> [<class>=<limit>[/<windowS>] …] [--clear <class>]
                           show or change the tenant's rate limits (see "steadfast tenant limits --help")

Operator keys (every tenant's dead letters, webhook events, dependencies) belong
to no tenant: "steadfast key create --operator <name>".

${HELP_OPTION}
`;

const TENANT_CREATE_USAGE = `Usage: steadfast tenant create <name> [--email <address>]

Creates a tenant named <name> (at most 200 characters) with one API key and
prints {"tenantId","apiKey"} as one JSON line; the key is shown only this once.
Applies pending migrations first. Without DATABASE_URL it joins the embedded
cluster of a running "steadfast start" in the same home, or starts and stops it.

Options:
  --email <address>        the tenant's contact address
                           (--ops is gone: operator keys are "steadfast key create --operator <name>")
  -h, --help               print this help and exit (nothing else runs)

Environment:
${DATABASE_ENV}
${LOG_ENV}
${MORE}
`;

const TENANT_LIMITS_USAGE = `Usage: steadfast tenant limits <tenantId> [<class>=<limit>[/<windowS>] …] [--clear <class>]

Shows or changes one tenant's rate limits and prints the effective quota of
every route class as one JSON line: {"tenantId","limits":{<class>:{limit,windowS,source}}}.
Route classes: writes (POST, PATCH), reads (GET), long-polls (GET /v1/operations/{id}
with Prefer: wait). <class>=<limit> sets an override (the window defaults to
RATE_LIMIT_WINDOW_S); --clear <class> goes back to the default. Every web process
applies a change within a few seconds. An unknown class, or a limit of 0, is refused.

Examples:
  steadfast tenant limits ten_01… writes=500 reads=2000/60
  steadfast tenant limits ten_01… --clear writes

Options:
  --clear <class>          remove the override of <class> (repeatable)
  -h, --help               print this help and exit (nothing else runs)

Environment:
${DATABASE_ENV}
  RATE_LIMIT_WRITES, RATE_LIMIT_READS, RATE_LIMIT_LONG_POLLS, RATE_LIMIT_WINDOW_S
                           the defaults (docs/rate-limits.md)
${LOG_ENV}
${MORE}
`;

const KEY_USAGE = `Usage: steadfast key <sub-command>

Manages API keys of a tenant or an operator (nobody's tenant: the one way into
operator routes). A running service forgets a revoked key at once.

Sub-commands:
  list (--tenant <id> | --operator <id>)
                           the owner's keys (see "steadfast key list --help")
  create (--tenant <id> | --operator <id|name>) [--name <name>] [--expires-in-s <seconds>]
                           a new key; the secret is shown once (see "steadfast key create --help")
  revoke <keyId>           revoke a key (see "steadfast key revoke --help")

${HELP_OPTION}
`;

const KEY_LIST_USAGE = `Usage: steadfast key list (--tenant <id> | --operator <id>)

Prints {"data":[…]} as one JSON line: every key of the tenant or operator,
newest first, with id, name, prefix, scopes, createdAt, lastUsedAt, expiresAt
and revokedAt (never a secret). Exit 1 when the owner does not exist.

Options:
  --tenant <id>            a tenant (ten_…)
  --operator <id>          an operator (opr_…)
  -h, --help               print this help and exit (nothing else runs)

Environment:
${DATABASE_ENV}
${LOG_ENV}
${MORE}
`;

const KEY_CREATE_USAGE = `Usage: steadfast key create (--tenant <id> | --operator <id|name>) [--name <name>] [--expires-in-s <seconds>]

Creates an API key and prints {"tenantId"|"operatorId","keyId","apiKey","name","expiresAt"}
as one JSON line; the key is shown only this once. Applies pending migrations first.

Options:
  --tenant <id>            a key for this tenant (ten_…)
  --operator <id|name>     a key for this operator (opr_…), or a new operator with this name
  --name <name>            what the key is for (1-100 characters)
  --expires-in-s <seconds> the key stops working after this many seconds
  -h, --help               print this help and exit (nothing else runs)

Environment:
${DATABASE_ENV}
${LOG_ENV}
${MORE}
`;

const KEY_REVOKE_USAGE = `Usage: steadfast key revoke <keyId>

Revokes the key (key_…) of whichever tenant or operator owns it and prints
{"keyId","revoked":true,"alreadyRevoked"} as one JSON line. Every running
instance refuses it within a second. Exit 1 when there is no such key.

Options:
  -h, --help               print this help and exit (nothing else runs)

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
