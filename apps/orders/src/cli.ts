#!/usr/bin/env node
/**
 * steadfast <command>: start | web | worker | sandbox | migrate | tenant create | config check | check | help.
 *
 * Every command's arguments are parsed strictly BEFORE anything runs: `--help`/`-h`
 * prints that command's usage and does nothing else (no configuration, no database,
 * no port), and an unknown option or argument is a usage error that starts nothing.
 * Exit codes: 0 success, 1 runtime failure (one line: bad configuration, unreachable
 * database, ...), 2 usage error (one line with a hint to the command's help).
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { MAIN_USAGE, USAGES, version } from './commands/usage.ts';
import type { Config, Role } from './config.ts';

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
    options: { ops: { type: 'boolean', default: false }, email: { type: 'string' } },
    helpFor: ({ positionals }) => (positionals[0] === 'create' ? 'tenant create' : 'tenant'),
    prepare({ positionals, values }) {
      const [sub, name, ...extra] = positionals;
      if (sub === undefined) throw new UsageError('give a sub-command: create', 'tenant');
      if (sub !== 'create') throw new UsageError(`unknown sub-command "${sub}"`, 'tenant');
      if (!name?.trim()) throw new UsageError('give the tenant a <name>', 'tenant create');
      if (name.length > TENANT_NAME_MAX)
        throw new UsageError(`<name> is longer than ${TENANT_NAME_MAX} characters`, 'tenant create');
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`, 'tenant create');
      const args = { name, ops: values.ops === true, email: values.email as string | undefined };
      return async (config) => (await import('./commands/tenant.ts')).runTenantCreate(config, args);
    },
  },
};

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
