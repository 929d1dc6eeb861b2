#!/usr/bin/env node
/**
 * steadfast <command>: start | web | worker | sandbox | migrate | tenant create|limits | key list|create|revoke | config check | check | help.
 *
 * Every command's arguments are parsed strictly BEFORE anything runs: `--help`/`-h`
 * prints that command's usage and does nothing else (no configuration, no database,
 * no port), and an unknown option or argument is a usage error that starts nothing.
 * Exit codes: 0 success, 1 runtime failure (one line: bad configuration, unreachable
 * database, ...), 2 usage error (one line with a hint to the command's help).
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { idPattern } from '@steadfast/toolkit/ids';
import type { KeyOwnerArg } from './commands/key.ts';
import { MAIN_USAGE, USAGES, version } from './commands/usage.ts';
import type { Config, Role } from './config.ts';
import { ROUTE_CLASSES, type RouteClass } from './config-traffic.ts';

/** a mistake in the command line; `command` ("tenant create") names the help the hint points to */
class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

interface Command {
  options?: ParseArgsOptionsConfig;
  allowPositionals?: boolean;
  /** which help `--help` prints (default: the command's own) */
  helpFor?(parsed: Parsed): string;
  /** checks the arguments (throws UsageError), then returns what runs once the configuration is loaded */
  prepare(parsed: Parsed): (config: Config) => Promise<number>;
  /** the role whose requirements the configuration must meet (production: no generated secrets) */
  role?: Role;
  /** runs without the loaded configuration (it reports problems itself) */
  raw?(parsed: Parsed): Promise<number>;
}

const ROLES: Role[] = ['start', 'web', 'worker', 'sandbox', 'migrate', 'tenant'];

const TENANT_NAME_MAX = 200;
/** generated tenant ids, and the demo tenant's `ten_demo` */
const TENANT_ID = /^ten_[0-9a-z_]{1,60}$/;
const KEY_ID = new RegExp(idPattern('key'));

/** `tenant limits <tenantId> [<class>=<limit>[/<windowS>] …] [--clear <class>]`, checked before anything runs */
function prepareTenantLimits(tenantId: string | undefined, assignments: string[], values: Parsed['values']) {
  const help = 'tenant limits';
  if (tenantId === undefined) throw new UsageError('give the <tenantId> (ten_…)', help);
  if (!TENANT_ID.test(tenantId)) throw new UsageError(`"${tenantId}" is not a tenant id (ten_…)`, help);
  const known = (name: string): RouteClass => {
    if (!(ROUTE_CLASSES as readonly string[]).includes(name))
      throw new UsageError(`unknown route class "${name}" (known: ${ROUTE_CLASSES.join(', ')})`, help);
    return name as RouteClass;
  };
  const set = assignments.map((assignment) => {
    const match = /^([a-z-]+)=(\d+)(?:\/(\d+))?$/.exec(assignment);
    if (!match) throw new UsageError(`"${assignment}" is not <class>=<limit>[/<windowS>]`, help);
    const [limit, windowS] = [Number(match[2]), match[3] === undefined ? undefined : Number(match[3])];
    if (limit < 1 || limit > 1_000_000)
      throw new UsageError(`${assignment}: the limit must be 1 to 1000000`, help);
    if (windowS !== undefined && (windowS < 1 || windowS > 86_400))
      throw new UsageError(`${assignment}: the window must be 1 to 86400 seconds`, help);
    return { className: known(match[1]), limit, windowS };
  });
  const clear = ((values.clear as string[] | undefined) ?? []).map(known);
  const both = set.find((s) => clear.includes(s.className));
  if (both) throw new UsageError(`"${both.className}" is both set and cleared`, help);
  const args = { tenantId, set, clear };
  return async (config: Config) =>
    (await import('./commands/tenant-limits.ts')).runTenantLimits(config, args);
}

const COMMANDS: Record<string, Command> = {
  start: {
    role: 'start',
    prepare: () => async (config) =>
      (await import('./commands/serve.ts')).runServer(config, { role: 'start' }),
  },
  web: {
    role: 'web',
    prepare: () => async (config) => (await import('./commands/serve.ts')).runServer(config, { role: 'web' }),
  },
  worker: {
    role: 'worker',
    prepare: () => async (config) => (await import('./commands/worker.ts')).runWorker(config),
  },
  sandbox: {
    role: 'sandbox',
    prepare: () => async (config) => (await import('./commands/sandbox.ts')).runSandbox(config),
  },
  migrate: {
    role: 'migrate',
    prepare: () => async (config) => (await import('./commands/migrate.ts')).runMigrate(config),
  },
  config: {
    allowPositionals: true,
    options: { role: { type: 'string' } },
    helpFor: ({ positionals }) => (positionals[0] === 'check' ? 'config check' : 'config'),
    prepare({ positionals, values }) {
      const [sub, ...extra] = positionals;
      if (sub === undefined) throw new UsageError('give a sub-command: check', 'config');
      if (sub !== 'check') throw new UsageError(`unknown sub-command "${sub}"`, 'config');
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`, 'config check');
      const role = values.role as Role | undefined;
      if (role !== undefined && !ROLES.includes(role))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`, 'config check');
      return async () => 0;
    },
    async raw({ values }) {
      const { runConfigCheck } = await import('./commands/config-check.ts');
      return runConfigCheck(process.env, { role: values.role as Role | undefined });
    },
  },
  tenant: {
    role: 'tenant',
    allowPositionals: true,
    options: {
      ops: { type: 'boolean', default: false },
      email: { type: 'string' },
      clear: { type: 'string', multiple: true },
    },
    helpFor: ({ positionals }) =>
      positionals[0] === 'create' || positionals[0] === 'limits' ? `tenant ${positionals[0]}` : 'tenant',
    prepare({ positionals, values }) {
      const [sub, name, ...extra] = positionals;
      if (sub === undefined) throw new UsageError('give a sub-command: create or limits', 'tenant');
      if (sub === 'limits') return prepareTenantLimits(name, extra, values);
      if (sub !== 'create') throw new UsageError(`unknown sub-command "${sub}"`, 'tenant');
      if (values.clear !== undefined)
        throw new UsageError('--clear belongs to "tenant limits"', 'tenant create');
      if (!name?.trim()) throw new UsageError('give the tenant a <name>', 'tenant create');
      if (name.length > TENANT_NAME_MAX)
        throw new UsageError(`<name> is longer than ${TENANT_NAME_MAX} characters`, 'tenant create');
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`, 'tenant create');
      if (values.ops === true)
        throw new UsageError(
          '--ops is gone: operator keys belong to no tenant; create one with "steadfast key create --operator"',
          'tenant create',
        );
      const args = { name, email: values.email as string | undefined };
      return async (config) => (await import('./commands/tenant.ts')).runTenantCreate(config, args);
    },
  },
  key: {
    role: 'tenant',
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      operator: { type: 'string' },
      name: { type: 'string' },
      'expires-in-s': { type: 'string' },
    },
    helpFor: ({ positionals }) => (KEY_SUBS.includes(positionals[0]) ? `key ${positionals[0]}` : 'key'),
    prepare({ positionals, values }) {
      const [sub, ...rest] = positionals;
      if (sub === undefined) throw new UsageError('give a sub-command: list, create or revoke', 'key');
      if (!KEY_SUBS.includes(sub)) throw new UsageError(`unknown sub-command "${sub}"`, 'key');
      const help = `key ${sub}`;
      const tenant = values.tenant as string | undefined;
      const operator = values.operator as string | undefined;
      const key = async () => import('./commands/key.ts');
      if (sub === 'revoke') {
        const [keyId, ...extra] = rest;
        if (!keyId) throw new UsageError('give the <keyId> to revoke', help);
        if (!KEY_ID.test(keyId)) throw new UsageError(`"${keyId}" is not a key id (key_…)`, help);
        if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`, help);
        for (const option of ['tenant', 'operator', 'name', 'expires-in-s'])
          if (values[option] !== undefined)
            throw new UsageError(`--${option} does not apply to revoke`, help);
        return async (config) => (await key()).runKeyRevoke(config, { keyId });
      }
      if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`, help);
      if ((tenant === undefined) === (operator === undefined))
        throw new UsageError('give exactly one of --tenant <id> or --operator <id|name>', help);
      if (tenant !== undefined && !TENANT_ID.test(tenant))
        throw new UsageError(`--tenant "${tenant}" is not a tenant id (ten_…)`, help);
      if (operator !== undefined && !operator.trim())
        throw new UsageError('--operator needs an id or a name', help);
      const owner: KeyOwnerArg =
        tenant !== undefined ? { tenantId: tenant } : { operator: operator as string };
      if (sub === 'list') {
        if (values.name !== undefined || values['expires-in-s'] !== undefined)
          throw new UsageError('list takes only --tenant or --operator', help);
        if ('operator' in owner && !owner.operator.startsWith('opr_'))
          throw new UsageError(`--operator "${owner.operator}" is not an operator id (opr_…)`, help);
        return async (config) => (await key()).runKeyList(config, owner);
      }
      const name = values.name as string | undefined;
      if (name !== undefined && (!name.trim() || name.length > 100))
        throw new UsageError('--name is 1-100 characters', help);
      const expiresRaw = values['expires-in-s'] as string | undefined;
      if (expiresRaw !== undefined && !/^[1-9][0-9]{0,9}$/.test(expiresRaw))
        throw new UsageError('--expires-in-s is a whole number of seconds > 0', help);
      const expiresInS = expiresRaw === undefined ? undefined : Number(expiresRaw);
      return async (config) => (await key()).runKeyCreate(config, { ...owner, name, expiresInS });
    },
  },
};

const KEY_SUBS = ['list', 'create', 'revoke'];

/** parseArgs' messages go on: keep their first sentence */
function firstSentence(message: string): string {
  return message.split(/\.\s/)[0].replace(/\.$/, '');
}

function parse(argv: string[], options: ParseArgsOptionsConfig, allowPositionals: boolean, command?: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as Parsed;
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message), command);
  }
}

const HELP: ParseArgsOptionsConfig = { help: { type: 'boolean', short: 'h' } };

/** the checker, under its `steadfast check` name; its --help/--version never load the configuration */
async function runChecker(argv: string[]): Promise<number> {
  const { runCheck } = await import('@steadfast/check');
  const apiKey = async () => (await import('./config.ts')).loadConfig().checkApiKey;
  return runCheck(argv, { apiKey, program: 'steadfast check' });
}

/** `steadfast help [command [sub-command]]` and `steadfast [command] --help` */
async function printHelp(path: string[]): Promise<number> {
  if (path[0] === 'check') return runChecker(['--help']);
  const key = path.join(' ');
  const text = key === '' || key === 'help' ? MAIN_USAGE : USAGES[key];
  if (text === undefined) throw new UsageError(`no command "${key}"`);
  process.stdout.write(text);
  return 0;
}

async function main(args: string[]): Promise<number> {
  // `npx steadfast -- --help` (npx keeps --help for itself) passes the "--" on
  const argv = args[0] === '--' ? args.slice(1) : args;
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('give a command, e.g. steadfast start');
  if (name === 'help') return printHelp(rest);
  if (name === 'check') return runChecker(rest);
  if (name.startsWith('-')) {
    const options = { ...HELP, version: { type: 'boolean', short: 'v' } } as const;
    const { values, positionals } = parse(argv, options, true);
    if (values.help) return printHelp(positionals);
    if (values.version && positionals.length) throw new UsageError('--version takes no command');
    if (values.version) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    throw new UsageError('give the command first, e.g. steadfast start --help');
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const parsed = parse(rest, { ...HELP, ...command.options }, command.allowPositionals ?? false, name);
  if (parsed.values.help) return printHelp([command.helpFor?.(parsed) ?? name]);
  const run = command.prepare(parsed);
  if (command.raw) return command.raw(parsed);
  // the configuration (and everything it imports) is loaded only for a command that runs;
  // every role reads the same one, and in production refuses what it would otherwise generate
  const { loadConfig, loadConfigFor } = await import('./config.ts');
  return run(command.role ? loadConfigFor(command.role) : loadConfig());
}

function fail(line: string, code: number): void {
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      const prefix = error.command ? `steadfast ${error.command}` : 'steadfast';
      const help = error.command ? `steadfast ${error.command} --help` : 'steadfast help';
      return fail(`${prefix}: ${error.message}; run "${help}"`, 2);
    }
    const message = (error as Error)?.message ?? String(error);
    // config.ts is imported lazily, so its ConfigError is known by name
    if ((error as Error)?.name === 'ConfigError') return fail(`steadfast: bad configuration: ${message}`, 1);
    fail(`steadfast: ${message.split('\n')[0]}`, 1);
  },
);
