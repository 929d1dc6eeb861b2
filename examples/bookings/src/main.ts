/** Web and worker in one process: `node src/main.ts` with the variables in README.md set. */
import { createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { createPool } from '@steadfast/toolkit/postgres';
import { createWebhookMetrics } from '@steadfast/toolkit/webhooks';
import { buildApp } from './app.ts';
import { migrateAll } from './migrations.ts';
import { createPayments } from './payments.ts';
import { createWorker } from './worker.ts';

const missing = ['DATABASE_URL', 'PAYMENTS_URL', 'PAYMENTS_WEBHOOK_SECRET'].find(
  (name) => !process.env[name],
);
if (missing) {
  process.stderr.write(`bookings: set ${missing} (see README.md)\n`);
  process.exit(2);
}
const env = process.env as Record<string, string>;
const log = createLogger({ level: env.LOG_LEVEL ?? 'info' });
const db = createPool({ connectionString: env.DATABASE_URL });
await migrateAll(db);
const metrics = createHttpMetrics(); // one registry, so web and worker share the webhook metrics
const deps = { db, log, metrics, webhookMetrics: createWebhookMetrics(metrics.registry) };
const payments = createPayments({ baseUrl: env.PAYMENTS_URL, log, metrics });
const app = await buildApp({ ...deps, webhookSecrets: [env.PAYMENTS_WEBHOOK_SECRET] });
const { runner, inbox } = createWorker({ ...deps, payments });
await runner.start();
await inbox.start();
await app.listen({ port: Number(env.PORT ?? 3000), host: env.HOST ?? '127.0.0.1' });

async function stop() {
  await app.close(); // no new requests; then finish the work in hand
  await inbox.stop();
  await runner.stop();
  await payments.close();
  await db.end();
}
process.once('SIGINT', stop).once('SIGTERM', stop);
