/** `steadfast sandbox`: the simulated partners alone (so a crash test can kill the API while the partners keep their ledgers). */

import { buildSandbox, type Sandbox } from '@steadfast/sandbox';
import { createLogger, type Logger } from '@steadfast/toolkit/observability';
import { type Config, ConfigError } from '../config.ts';
import { onShutdownSignal } from '../runtime/shutdown.ts';
import { homeWebhookSecrets } from '../runtime/webhook-secret.ts';

/**
 * `apiUrl`: where this service's API listens, for the default webhook endpoint;
 * `secret`: the one the API verifies with (`steadfast start` passes its shared one;
 * alone, the sandbox uses PAYMENTS_WEBHOOK_SECRET or the home's).
 */
export async function startSandbox(
  config: Config,
  apiUrl: string,
  secret: string = homeWebhookSecrets(config)[0],
): Promise<{ sandbox: Sandbox; url: string }> {
  const webhookUrl = config.paymentsWebhookUrl ?? `${apiUrl}/webhooks/payments`;
  const sandbox = await buildSandbox({
    webhookEndpoints: [{ url: webhookUrl, secret }],
  });
  const url = await sandbox.server.listen({ port: config.sandboxPort, host: config.host });
  return { sandbox, url };
}

export async function runSandbox(
  config: Config,
  logger: Logger = createLogger({ level: config.logLevel }),
): Promise<number> {
  if (config.sandboxPort === 0) {
    throw new ConfigError('SANDBOX_PORT', 'is 0 (disabled); set a port to run the sandbox');
  }
  const { sandbox, url } = await startSandbox(config, `http://${config.host}:${config.port}`);
  onShutdownSignal([{ name: 'sandbox', run: () => sandbox.close() }], logger);
  process.stdout.write(
    `Steadfast sandbox: partners under ${url}/{payments,messaging,pricing,analytics,recommendations}\n`,
  );
  return -1;
}
