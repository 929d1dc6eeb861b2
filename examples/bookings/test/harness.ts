/** The service on its own test database, with a fake partner and a silent logger. */
import { randomUUID } from 'node:crypto';
import { createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { createTestDatabase } from '@steadfast/toolkit/testing';
import { createWebhookMetrics } from '@steadfast/toolkit/webhooks';
import { buildApp } from '../src/app.ts';
import { createPayments } from '../src/payments.ts';
import { createWorker } from '../src/worker.ts';
import { startFakePayments } from './fake-payments.ts';

export const WEBHOOK_SECRET = `whsec_${Buffer.from('a-test-secret-of-thirty-two-byte').toString('base64')}`;

export async function startService() {
  const database = await createTestDatabase();
  const partner = await startFakePayments();
  const log = createLogger({ level: 'silent' });
  const metrics = createHttpMetrics();
  const deps = { db: database.pool, log, metrics, webhookMetrics: createWebhookMetrics(metrics.registry) };
  const payments = createPayments({ baseUrl: partner.url, log, metrics });
  const app = await buildApp({ ...deps, webhookSecrets: [WEBHOOK_SECRET] });
  const worker = createWorker({ ...deps, payments });
  const service = {
    app,
    db: database.pool,
    url: database.url,
    partner,
    worker,
    /** POST /bookings with an Idempotency-Key */
    book(
      body: object = { room: 'R-101', guest: 'Ada', amount: 12_000, currency: 'EUR' },
      key = randomUUID(),
    ) {
      return app.inject({
        method: 'POST',
        url: '/bookings',
        headers: { 'idempotency-key': key },
        payload: body,
      });
    },
    async count(sql: string, values: unknown[] = []): Promise<number> {
      return (await database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, values))
        .rows[0].n;
    },
    async close() {
      await app.close();
      await worker.inbox.stop();
      await worker.runner.stop();
      await payments.close();
      await partner.close();
      await database.close();
    },
  };
  return service;
}

export type Service = Awaited<ReturnType<typeof startService>>;
