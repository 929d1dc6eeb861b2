/** Pieces every usage text shares: the help option, the environment blocks, the pointer to the full table. */
export const HELP_OPTION = `Options:
  -h, --help               print this help and exit (nothing else runs)`;

export const DATABASE_ENV = `  DATABASE_URL             a real Postgres, postgres://...; absent: the embedded cluster
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

export const PARTNER_ENV = `  PAYMENTS_URL, MESSAGING_URL, PRICING_URL, ANALYTICS_URL, RECOMMENDATIONS_URL
                           partner base URLs (default: the sandbox, http://127.0.0.1:<SANDBOX_PORT>/<partner>)
  PAYMENTS_WEBHOOK_SECRET  Standard Webhooks secret(s) whsec_..., comma-separated (required in production;
                           otherwise generated once and kept in the database, so every replica shares it)`;

export const WORKER_ENV = `  JOB_MAX_ATTEMPTS, JOB_MAX_DELAY_MS, WORKER_DEAD_AFTER_S, RECONCILE_INTERVAL_S,
  RECONCILE_PENDING_AGE_S, PAYMENT_ABANDON_AFTER_S, OPERATIONS_RETENTION_S
                           retries, worker liveness, payment reconciliation, retention`;

export const LOG_ENV = `  LOG_LEVEL                fatal, error, warn, info, debug, trace or silent (info)`;

export const MORE = 'Every variable, its default and allowed values: docs/configuration.md';
