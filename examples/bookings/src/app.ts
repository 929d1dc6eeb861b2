/**
 * The bookings API. POST /bookings needs an Idempotency-Key: booking, charge job and stored answer commit
 * together, and a retry gets that answer back. GET/PATCH /bookings/{id} carry ETags; PATCH needs If-Match.
 * POST /webhooks/payments takes signed deliveries into the inbox. Every error is problem+json.
 */
import {
  formatEtag,
  parseIfMatch,
  preconditionFailed,
  preconditionRequired,
} from '@steadfast/toolkit/concurrency';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { enqueueJob } from '@steadfast/toolkit/jobs';
import {
  createBackgroundErrors,
  type HttpMetrics,
  type Logger,
  observability,
} from '@steadfast/toolkit/observability';
import { isDatabaseUnavailable, type Pool, type Queryable } from '@steadfast/toolkit/postgres';
import {
  coreProblems,
  createProblemRegistry,
  installValidators,
  jsonBody,
  ProblemError,
  problems,
  registerProblemPages,
} from '@steadfast/toolkit/problems';
import { dependencyProblems } from '@steadfast/toolkit/resilience';
import {
  createWebhookVerifier,
  registerWebhookIntake,
  type WebhookMetrics,
  webhookProblems,
} from '@steadfast/toolkit/webhooks';
import Fastify, { type FastifyInstance } from 'fastify';

export interface AppDeps {
  db: Pool;
  log: Logger;
  metrics: HttpMetrics;
  webhookMetrics: WebhookMetrics;
  /** the payments partner's Standard Webhooks secrets (`whsec_…`), several during a rotation */
  webhookSecrets: string[];
}

type Booking = { id: string; version: number } & Record<string, unknown>;
const COLUMNS = 'id, room, guest, amount, currency, status, charge_id AS "chargeId", version';
const registry = createProblemRegistry(
  coreProblems,
  idempotencyProblems,
  dependencyProblems,
  webhookProblems,
);

const text = { type: 'string', minLength: 1, maxLength: 200 };
const object = (properties: Record<string, object>) =>
  ({ type: 'object', additionalProperties: false, required: Object.keys(properties), properties }) as const;
const amount = { type: 'integer', minimum: 1 };
const currency = { type: 'string', pattern: '^[A-Z]{3}$' };
const newBooking = object({ room: text, guest: text, amount, currency });

async function findBooking(db: Queryable, id: string): Promise<Booking> {
  const { rows } = await db.query<Booking>(`SELECT ${COLUMNS} FROM bookings WHERE id = $1`, [id]);
  if (!rows[0]) throw new ProblemError('not-found', { detail: `There is no booking ${id}.` });
  return rows[0];
}

export async function buildApp({ db, log, metrics, webhookMetrics, webhookSecrets }: AppDeps) {
  const ids = createIdGenerator();
  // the toolkit's plugins take Fastify's default instance type
  const app = Fastify({ loggerInstance: log }) as unknown as FastifyInstance;
  installValidators(app);
  const mapError = (e: unknown) =>
    isDatabaseUnavailable(e) ? new ProblemError('database-unavailable') : undefined;
  await app.register(problems, { registry, mapError });
  await app.register(jsonBody);
  await app.register(observability, { metrics });
  await app.register(idempotency, { db, tenantOf: () => 'public' });
  registerProblemPages(app, registry);
  const counter = createIdempotencyMetrics(metrics.registry).requests;
  const errors = createBackgroundErrors({ log, registry: metrics.registry });
  const engine = createIdempotencyEngine({ db, registry, counter, errors, retentionS: 86_400, leaseS: 30 });

  // docs:start idempotent-create
  app.post<{ Body: { room: string; guest: string; amount: number; currency: string } }>(
    '/bookings',
    { config: { idempotency: true }, schema: { body: newBooking } },
    (request, reply) =>
      engine.run(request, reply, async (tx) => {
        const { room, guest, amount, currency } = request.body;
        const { rows } = await tx.query<Booking>(
          `INSERT INTO bookings (id, room, guest, amount, currency) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
          [ids.next('bkg'), room, guest, amount, currency],
        );
        const { id, version } = rows[0];
        // same transaction: the job exists if and only if the booking (and its stored answer) does
        await enqueueJob(tx, 'charge-booking', { bookingId: id }, { key: `charge:${id}` });
        const headers = { Location: `/bookings/${id}`, ETag: formatEtag(version) };
        return { status: 201, body: rows[0], headers };
      }),
  );
  // docs:end idempotent-create

  app.get<{ Params: { id: string } }>('/bookings/:id', async (request, reply) => {
    const booking = await findBooking(db, request.params.id);
    return reply.header('ETag', formatEtag(booking.version)).send(booking);
  });

  app.patch<{ Params: { id: string }; Body: { guest: string } }>(
    '/bookings/:id',
    { schema: { body: object({ guest: text }) } },
    async (request, reply) => {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      if (!ifMatch) throw preconditionRequired();
      const { rows } = await db.query<Booking>(
        `UPDATE bookings SET guest = $2, version = version + 1
         WHERE id = $1 AND ($3::int[] IS NULL OR version = ANY($3)) RETURNING ${COLUMNS}`,
        [request.params.id, request.body.guest, ifMatch.any ? null : ifMatch.versions],
      );
      if (!rows[0]) throw preconditionFailed((await findBooking(db, request.params.id)).version);
      return reply.header('ETag', formatEtag(rows[0].version)).send(rows[0]);
    },
  );

  // a verified delivery is stored once per webhook-id and answered 200; the worker acts on it
  const verifier = createWebhookVerifier(webhookSecrets);
  const intake = { source: 'payments', path: '/webhooks/payments', verifier, db, metrics: webhookMetrics };
  await registerWebhookIntake(app, { ...intake, newId: () => ids.next('whk'), clock: { now: Date.now } });
  await app.ready();
  return app;
}
