/** The payments webhook secret: PAYMENTS_WEBHOOK_SECRET, else generated once and kept in STEADFAST_HOME. */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { readHomeState, updateHomeState } from './home.ts';

/** All configured secrets (comma-separated for rotation); the first one signs. */
export function paymentsWebhookSecrets(config: Config): string[] {
  if (config.paymentsWebhookSecret) return config.paymentsWebhookSecret.split(',').map((s) => s.trim());
  let secret = readHomeState(config.home).paymentsWebhookSecret;
  if (!secret) {
    secret = `whsec_${randomBytes(24).toString('base64')}`;
    updateHomeState(config.home, { paymentsWebhookSecret: secret });
  }
  return [secret];
}
