/**
 * Webhook intake: verify the raw body's Standard Webhooks signature, store the
 * delivery in the inbox (unique per source + webhook id; a duplicate creates
 * no new work) and answer 200 at once. One INSERT, no job, no NOTIFY.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../ids/index.ts';
import { type Queryable, schemaCheckHook } from '../postgres/index.ts';
import { ProblemError, problemResponses } from '../problems/index.ts';
import type { WebhookMetrics } from './metrics.ts';
import { webhooksMigrations } from './migrations.ts';
import type { WebhookVerifier } from './verify.ts';

export interface IntakeOptions {
  source: string;
  path: string;
  verifier: WebhookVerifier;
  db: Queryable;
  newId: () => string;
  clock: Clock;
  metrics: WebhookMetrics;
  bodyLimitBytes?: number;
}

const KEPT_HEADERS = ['webhook-id', 'webhook-timestamp', 'content-type', 'user-agent', 'x-request-id'];

export async function registerWebhookIntake(app: FastifyInstance, options: IntakeOptions): Promise<void> {
  const { source, metrics } = options;
  await app.register(async (scope) => {
    scope.addHook(
      'onReady',
      schemaCheckHook(scope.log, options.db, webhooksMigrations, 'webhooksMigrations'),
    );
    // the signature covers the exact bytes: keep the body raw
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: options.bodyLimitBytes ?? 256 * 1024 },
      (_r, body, done) => done(null, body),
    );
    scope.post(
      options.path,
      {
        schema: {
          summary: `Webhooks from ${source} (Standard Webhooks signatures; no API key)`,
          tags: ['webhooks'],
          security: [],
          response: {
            200: { description: 'Stored (or already stored): empty body', type: 'null' },
            ...problemResponses(400, 401, 413),
          },
        },
      },
      async (request, reply) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const verdict = options.verifier.verify(raw, request.headers, options.clock.now());
        if (!verdict.ok) {
          metrics.rejected.inc({ source, reason: verdict.reason });
          throw new ProblemError(
            verdict.reason === 'timestamp-out-of-tolerance'
              ? 'webhook-timestamp-out-of-tolerance'
              : 'webhook-signature-invalid',
            {
              detail:
                verdict.reason === 'timestamp-out-of-tolerance'
                  ? 'webhook-timestamp is outside the tolerance.'
                  : 'The webhook signature does not verify.',
            },
          );
        }
        let payload: { type?: unknown } | undefined;
        try {
          payload = JSON.parse(raw);
        } catch {
          payload = undefined;
        }
        const headers = Object.fromEntries(
          KEPT_HEADERS.filter((h) => request.headers[h] !== undefined).map((h) => [h, request.headers[h]]),
        );
        const inserted = await options.db.query({
          name: 'webhooks.intake',
          text: `INSERT INTO webhook_inbox (id, source, webhook_id, event_type, payload, raw_body, headers, status, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source, webhook_id) DO NOTHING`,
          values: [
            options.newId(),
            source,
            request.headers['webhook-id'],
            typeof payload?.type === 'string' ? payload.type : null,
            payload === undefined ? null : raw,
            raw,
            JSON.stringify(headers),
            payload === undefined ? 'failed' : 'received',
            payload === undefined ? 'unparseable body' : null,
          ],
        });
        if (inserted.rowCount === 0) metrics.duplicated.inc({ source });
        else metrics.received.inc({ source });
        if (payload === undefined)
          throw new ProblemError('webhook-payload-invalid', {
            detail: 'The body is not JSON; the delivery was kept for inspection.',
          });
        return reply.code(200).send();
      },
    );
  });
}
