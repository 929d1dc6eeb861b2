/**
 * The payments webhook secret. PAYMENTS_WEBHOOK_SECRET when set (required in
 * production: `configProblems`). Otherwise one generated secret, kept in the
 * one place every process shares — the database (`steadfast_generated_secrets`), so any
 * number of `steadfast web` replicas verify with the same secret — and mirrored
 * into STEADFAST_HOME so a `steadfast sandbox` on the same home signs with it.
 * A home that already holds a secret (installs before the database kept it)
 * seeds the database with it.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '@steadfast/toolkit/postgres';
import type { Config } from '../config.ts';
import { readHomeState, updateHomeState } from './home.ts';

const NAME = 'payments_webhook_secret';

function configured(config: Config): string[] | undefined {
  return config.paymentsWebhookSecret?.split(',').map((s) => s.trim());
}

/** All secrets for a process with a database (web, start); the first one signs. */
export async function sharedWebhookSecrets(db: Queryable, config: Config): Promise<string[]> {
  const given = configured(config);
  if (given) return given;
  const home = readHomeState(config.home).paymentsWebhookSecret;
  const candidate = home ?? `whsec_${randomBytes(24).toString('base64')}`;
  await db.query(
    'INSERT INTO steadfast_generated_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [NAME, candidate],
  );
  const { rows } = await db.query<{ value: string }>(
    'SELECT value FROM steadfast_generated_secrets WHERE name = $1',
    [NAME],
  );
  const secret = rows[0].value;
  if (secret !== home) updateHomeState(config.home, { paymentsWebhookSecret: secret });
  return [secret];
}

/** For a process without a database (`steadfast sandbox` alone): the home's secret, generated once. */
export function homeWebhookSecrets(config: Config): string[] {
  const given = configured(config);
  if (given) return given;
  let secret = readHomeState(config.home).paymentsWebhookSecret;
  if (!secret) {
    secret = `whsec_${randomBytes(24).toString('base64')}`;
    updateHomeState(config.home, { paymentsWebhookSecret: secret });
  }
  return [secret];
}
