#!/usr/bin/env node
/** steadfast <command>: start | web | migrate | tenant | worker | sandbox | check */
import { ConfigError, loadConfig } from './config.ts';

const USAGE = `usage: steadfast <command>

  start                 embedded Postgres (unless DATABASE_URL), migrations, API, banner
  web                   the API only (for scale-out behind a load balancer)
  worker                durable jobs and the outbox (any number, against one Postgres)
  sandbox               the simulated partners alone, on SANDBOX_PORT
  migrate               apply pending database migrations
  check <baseUrl> [--api-key K] [--other-api-key K] [--only groups] [--json F] [--junit F] ...
                        test any API with an OpenAPI document for its promises (docs/checker.md)
  tenant create <name> [--ops] [--email <address>]
                        create a tenant; prints {"tenantId","apiKey"} as one JSON line
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
    case 'web': {
      const { runServer } = await import('./commands/serve.ts');
      return runServer(config, { role: command });
    }
    case 'migrate': {
      const { runMigrate } = await import('./commands/migrate.ts');
      return runMigrate(config);
    }
    case 'tenant': {
      const { runTenant } = await import('./commands/tenant.ts');
      return runTenant(config, rest);
    }
    case 'sandbox': {
      const { runSandbox } = await import('./commands/sandbox.ts');
      return runSandbox(config);
    }
    case 'worker': {
      const { runWorker } = await import('./commands/worker.ts');
      return runWorker(config);
    }
    case 'check': {
      const { runCheck } = await import('@steadfast/check');
      return runCheck(rest, { apiKey: config.checkApiKey });
    }
    default:
      process.stderr.write(`steadfast: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`steadfast: bad configuration: ${error.message}\n`);
    } else {
      process.stderr.write(`steadfast: ${(error as Error)?.message ?? String(error)}\n`);
    }
    process.exit(1);
  },
);
