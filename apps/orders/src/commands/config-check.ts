/**
 * `steadfast config check [--role <role>]`: the effective configuration every
 * role reads (config.ts), as one JSON object with secrets masked — API keys,
 * webhook secrets, the password in a database URL — then one line per problem
 * on stderr. Exit 1 when there is a problem, 0 otherwise. It connects to nothing.
 */
import { type Config, ConfigError, configProblems, loadConfig, type Role } from '../config.ts';

const MASK = '****';

/** a database URL with its password (if any) masked */
export function maskUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    return parsed.toString();
  } catch {
    return MASK; // not parseable: it may hold anything
  }
}

function maskSecret(value: string | undefined, keep = 0): string | undefined {
  if (value === undefined) return undefined;
  return `${value.slice(0, keep)}${MASK}`;
}

/** the configuration as printed: every value, no secret readable */
export function maskedConfig(config: Config): Record<string, unknown> {
  const secrets = config.paymentsWebhookSecret?.split(',');
  return {
    ...config,
    databaseUrl: maskUrl(config.databaseUrl),
    databaseDirectUrl: maskUrl(config.databaseDirectUrl),
    demoApiKey: maskSecret(config.demoApiKey, 4),
    demoOperatorKey: maskSecret(config.demoOperatorKey, 4),
    checkApiKey: maskSecret(config.checkApiKey, 4),
    paymentsWebhookSecret: secrets?.map(() => `whsec_${MASK}`).join(','),
    faults: Object.fromEntries(config.faults),
    tracing: config.tracing && {
      ...config.tracing,
      headers: Object.fromEntries(Object.keys(config.tracing.headers).map((k) => [k, MASK])),
    },
  };
}

export function runConfigCheck(
  env: Record<string, string | undefined>,
  options: { role?: Role; out?: (text: string) => void; err?: (text: string) => void } = {},
): number {
  const out = options.out ?? ((text) => process.stdout.write(text));
  const err = options.err ?? ((text) => process.stderr.write(text));
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(`steadfast config check: ${error.message}\n`);
    return 1;
  }
  out(`${JSON.stringify(maskedConfig(config), null, 2)}\n`);
  const problems = configProblems(config, options.role);
  for (const problem of problems) err(`steadfast config check: ${problem.message}\n`);
  if (problems.length === 0) {
    const scope = options.role ? `steadfast ${options.role}` : 'every role';
    err(`steadfast config check: ok (${config.environment}, ${scope})\n`);
  }
  return problems.length ? 1 : 0;
}
