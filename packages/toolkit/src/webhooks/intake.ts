/**
 * Webhook intake: verify the raw body's Standard Webhooks signature, store the
 * delivery in the inbox (unique per source + webhook id; a duplicate creates
 * no new work) and answer 200 at once. One INSERT, no job, no NOTIFY — and
 * under load one INSERT for many concurrent deliveries (group commit).
 * A signed body that cannot be used (not UTF-8, not JSON, breaking the JSON
 * rules) is kept as `failed` with the reason and answered 400; an unusable
 * `webhook-id` is refused with 400 and nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../ids/index.ts';
import { type BackgroundErrors, requestTraceparent } from '../observability/index.ts';
import {
  type BatchingOptions,
  createCoalescer,
  jsonRowsParam,
  jsonRowsSource,
  type Queryable,
  schemaCheckHook,
} from '../postgres/index.ts';
import { DEFAULT_JSON_MAX_DEPTH, ProblemError, problemResponses } from '../problems/index.ts';
import { readBody } from './body.ts';
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
  /** larger bodies → 413 payload-too-large, nothing stored (default 256 KiB) */
  bodyLimitBytes?: number;
  /** levels of nesting a payload may have before it is stored as failed (default 32, as `jsonBody`) */
  maxDepth?: number;
  /**
   * group commit: concurrent deliveries are stored by one multi-row INSERT (one round trip, one
   * commit; a failed batch is retried delivery by delivery). Default on; false: one INSERT each.
   */
  coalesce?: BatchingOptions | false;
  /** where a failed batch is reported (it is then retried delivery by delivery) */
  errors?: BackgroundErrors;
}

const INBOX_COLUMNS =
  'id, source, webhook_id, event_type, payload, raw_body, headers, status, reason, traceparent';

/** one delivery's inbox row, in INBOX_COLUMNS order */
type InboxRow = [
  string,
  string,
  string,
  string | null,
  string | null,
  Buffer,
  string,
  string,
  string | null,
  string | null,
];

const BATCH_INSERT = `WITH input AS MATERIALIZED (${jsonRowsSource([
  ['id', 'text'],
  ['source', 'text'],
  ['webhook_id', 'text'],
  ['event_type', 'text'],
  ['payload', 'jsonb'],
  ['raw_body', 'bytea'],
  ['headers', 'jsonb'],
  ['status', 'text'],
  ['reason', 'text'],
  ['traceparent', 'text'],
])})
  INSERT INTO webhook_inbox (${INBOX_COLUMNS}) SELECT ${INBOX_COLUMNS} FROM input ORDER BY webhook_id
  ON CONFLICT (source, webhook_id) DO NOTHING RETURNING webhook_id`;

/** Store deliveries: true for each that is new, false for a duplicate (of a stored one, or of one before it in the batch). */
function createInboxWriter(db: Queryable, options: IntakeOptions) {
  const insertOne = async (row: InboxRow): Promise<boolean> => {
    const { rowCount } = await db.query({
      name: 'webhooks.intake',
      text: `INSERT INTO webhook_inbox (${INBOX_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (source, webhook_id) DO NOTHING`,
      values: row,
    });
    return rowCount === 1;
  };
  if (options.coalesce === false) return insertOne;
  const writer = createCoalescer<InboxRow, boolean>({
    ...options.coalesce,
    runOne: insertOne,
    async run(rows) {
      const { rows: stored } = await db.query<{ webhook_id: string }>({
        name: 'webhooks.intake-batch',
        text: BATCH_INSERT,
        values: [jsonRowsParam(rows)],
      });
      const isNew = new Set(stored.map((r) => r.webhook_id));
      return rows.map((row) => isNew.has(row[2]));
    },
    // a delivery twice in one batch: the first is stored, the other is its duplicate
    distinct: { keyOf: (row) => `${row[1]} ${row[2]}`, duplicate: false },
    onBatchFailure: (error, size) => options.errors?.report('webhook-intake-batch', error, { size }),
  });
  return (row: InboxRow) => writer.add(row);
}

const MAX_WEBHOOK_ID = 255;
const WEBHOOK_ID = /^[\x21-\x7e]{1,255}$/;

const KEPT_HEADERS = ['webhook-id', 'webhook-timestamp', 'content-type', 'user-agent', 'x-request-id'];

export async function registerWebhookIntake(app: FastifyInstance, options: IntakeOptions): Promise<void> {
  const { source, metrics } = options;
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const store = createInboxWriter(options.db, options);
  await app.register(async (scope) => {
    scope.addHook(
      'onReady',
      schemaCheckHook(scope.log, options.db, webhooksMigrations, 'webhooksMigrations'),
    );
    // the signature covers the exact bytes: keep the body raw
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes ?? 256 * 1024 },
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
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
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
        const webhookId = String(request.headers['webhook-id']);
        if (!WEBHOOK_ID.test(webhookId)) {
          metrics.rejected.inc({ source, reason: 'id-invalid' });
          throw new ProblemError('webhook-id-invalid', {
            detail: `webhook-id must be 1–${MAX_WEBHOOK_ID} visible ASCII characters; nothing was stored.`,
          });
        }
        const body = readBody(raw, maxDepth);
        const headers = Object.fromEntries(
          KEPT_HEADERS.filter((h) => request.headers[h] !== undefined).map((h) => [h, request.headers[h]]),
        );
        const isNew = await store([
          options.newId(),
          source,
          webhookId,
          body.ok ? body.eventType : null,
          body.ok ? JSON.stringify(body.payload) : null,
          raw,
          JSON.stringify(headers),
          body.ok ? 'received' : 'failed',
          body.ok ? null : body.reason,
          requestTraceparent(request) ?? null,
        ]);
        if (!isNew) metrics.duplicated.inc({ source });
        else metrics.received.inc({ source });
        if (!body.ok)
          throw new ProblemError('webhook-payload-invalid', {
            detail: `${body.reason}; the delivery was kept for inspection (status failed). Do not resend it unchanged.`,
          });
        return reply.code(200).send();
      },
    );
  });
}
