/** Usage texts of the commands that manage who may call the API: `steadfast tenant …` and `steadfast key …`. */
import { DATABASE_ENV, HELP_OPTION, LOG_ENV, MORE } from './usage-parts.ts';

export const TENANT_USAGE = `Usage: steadfast tenant <sub-command>

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

export const TENANT_CREATE_USAGE = `Usage: steadfast tenant create <name> [--email <address>]

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

export const TENANT_LIMITS_USAGE = `Usage: steadfast tenant limits <tenantId> [<class>=<limit>[/<windowS>] …] [--clear <class>]

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

export const KEY_USAGE = `Usage: steadfast key <sub-command>

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

export const KEY_LIST_USAGE = `Usage: steadfast key list (--tenant <id> | --operator <id>)

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

export const KEY_CREATE_USAGE = `Usage: steadfast key create (--tenant <id> | --operator <id|name>) [--name <name>] [--expires-in-s <seconds>]

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

export const KEY_REVOKE_USAGE = `Usage: steadfast key revoke <keyId>

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
