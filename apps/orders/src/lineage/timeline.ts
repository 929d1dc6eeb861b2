/**
 * One request's story, for operators: from a request id, an idempotency key,
 * an order id (`ord_…`) or an operation id (`op_…`) to the inbound requests,
 * the operations they started, every partner attempt (by request id, by the
 * operation id the worker sends as request id, by the outbound keys
 * `pay:<orderId>:<n>` and `notify:<eventId>`), dead letters, the webhooks
 * received about the order's charges (and what verify-then-act decided) and
 * its notifications — in time order, at most MAX_EVENTS (`truncated` says so).
 * No tenant filter: the console is for operators.
 */
import { findLineage } from '@steadfast/toolkit/lineage';
import { ALL_TENANTS, type Queryable } from '@steadfast/toolkit/postgres';

export const MAX_EVENTS = 500;
/** rows per source at most, so one busy order cannot make the timeline slow */
const PER_SOURCE = 200;

export type MatchKind = 'request' | 'idempotency-key' | 'order' | 'operation';

export interface TimelineEvent {
  at: string;
  type: 'request' | 'operation' | 'attempt' | 'dead-letter' | 'webhook' | 'notification';
  /** one line for a person */
  summary: string;
  detail: Record<string, unknown>;
}

export interface Timeline {
  query: string;
  matched: Array<{ kind: MatchKind; id: string }>;
  events: TimelineEvent[];
  truncated: boolean;
}

const ORDER_ID = /^ord_[0-9a-z]{26}$/;
const OPERATION_ID = /^op_[0-9a-z]{26}$/;
const ORDER_RESOURCE = /^\/v1\/orders\/(ord_[0-9a-z]{26})$/;

interface OperationRow {
  id: string;
  tenantId: string;
  kind: string;
  status: string;
  resource: string | null;
  requestId: string | null;
  result: { chargeId?: string | null } | null;
  lastError: { type?: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

const iso = (d: Date) => d.toISOString();
const orderOf = (op: OperationRow) => (op.resource ? ORDER_RESOURCE.exec(op.resource)?.[1] : undefined);

async function operations(db: Queryable, where: { ids: string[]; requestIds: string[]; orderIds: string[] }) {
  if (!where.ids.length && !where.requestIds.length && !where.orderIds.length) return [];
  const { rows } = await db.query<OperationRow>(
    `SELECT id, tenant_id AS "tenantId", kind, status, resource, request_id AS "requestId", result,
            last_error AS "lastError", created_at AS "createdAt", updated_at AS "updatedAt"
     FROM operations WHERE id = ANY($1::text[]) OR request_id = ANY($2::text[]) OR resource = ANY($3::text[])
     ORDER BY created_at DESC LIMIT ${PER_SOURCE}`,
    [where.ids, where.requestIds, where.orderIds.map((id) => `/v1/orders/${id}`)],
  );
  return rows;
}

export async function buildTimeline(db: Queryable, options: { query: string; now: Date }): Promise<Timeline> {
  const query = options.query.trim().slice(0, 300);
  const empty: Timeline = { query, matched: [], events: [], truncated: false };
  if (!query) return empty;
  const matched: Timeline['matched'] = [];
  const orderIds = new Set<string>();
  const opIds = new Set<string>();
  const requestIds = new Set<string>();

  if (ORDER_ID.test(query)) {
    const { rowCount } = await db.query('SELECT 1 FROM orders WHERE id = $1', [query]);
    if (rowCount) matched.push({ kind: 'order', id: query });
    orderIds.add(query);
  } else if (OPERATION_ID.test(query)) {
    opIds.add(query);
  } else {
    // a request id or an idempotency key: what lineage (and the operations table) knows of it
    const seen = await findLineage(db, {
      requestIds: [query],
      idempotencyKeys: [query],
      tenantId: ALL_TENANTS,
      limit: PER_SOURCE,
    });
    // a request whose own row was dropped (lineage is bounded) is still found by the attempts it made
    if (seen.requests.some((r) => r.requestId === query) || seen.attempts.some((a) => a.requestId === query))
      matched.push({ kind: 'request', id: query });
    if (seen.requests.some((r) => r.idempotencyKey === query))
      matched.push({ kind: 'idempotency-key', id: query });
    for (const r of seen.requests) {
      requestIds.add(r.requestId);
      for (const ref of r.refs) {
        if (ORDER_ID.test(ref)) orderIds.add(ref);
        if (OPERATION_ID.test(ref)) opIds.add(ref);
      }
    }
    requestIds.add(query);
  }

  // the operations of these requests, orders and ids — and back: an operation's order and request
  const ops = await operations(db, { ids: [...opIds], requestIds: [...requestIds], orderIds: [...orderIds] });
  for (const op of ops) {
    if (op.id === query) matched.push({ kind: 'operation', id: query });
    if (op.requestId === query && !matched.some((m) => m.kind === 'request'))
      matched.push({ kind: 'request', id: query });
    opIds.add(op.id);
    if (op.requestId) requestIds.add(op.requestId);
    const order = orderOf(op);
    if (order) orderIds.add(order);
  }
  if (!matched.length) return empty;

  const orders = [...orderIds];
  const outbox = orders.length
    ? (
        await db.query<{
          id: string;
          type: string;
          status: string;
          attempts: number;
          lastError: string | null;
          createdAt: Date;
          deliveredAt: Date | null;
        }>(
          `SELECT id, type, status, attempts, last_error AS "lastError", created_at AS "createdAt",
                  delivered_at AS "deliveredAt"
           FROM outbox WHERE payload->>'orderId' = ANY($1::text[]) ORDER BY created_at DESC LIMIT ${PER_SOURCE}`,
          [orders],
        )
      ).rows
    : [];
  const lineage = await findLineage(db, {
    // the worker's attempts carry the operation id as their request id
    requestIds: [...requestIds, ...opIds],
    refs: [...orders, ...opIds],
    idempotencyKeys: outbox.map((e) => `notify:${e.id}`),
    keyPrefixes: orders.slice(0, 10).map((id) => `pay:${id}:`),
    tenantId: ALL_TENANTS,
    limit: PER_SOURCE,
  });
  const chargeIds = ops.map((op) => op.result?.chargeId).filter((id): id is string => typeof id === 'string');
  const webhooks = orders.length
    ? (
        await db.query<{
          id: string;
          eventType: string | null;
          status: string;
          reason: string | null;
          attempts: number;
          receivedAt: Date;
          processedAt: Date | null;
          chargeId: string | null;
        }>(
          `SELECT id, event_type AS "eventType", status, reason, attempts, received_at AS "receivedAt",
                  processed_at AS "processedAt", payload->'data'->'charge'->>'id' AS "chargeId"
           FROM webhook_inbox
           WHERE split_part(payload->'data'->'charge'->>'reference', ':', 2) = ANY($1::text[])
              OR payload->'data'->'charge'->>'id' = ANY($2::text[])
           ORDER BY received_at DESC LIMIT ${PER_SOURCE}`,
          [orders, chargeIds],
        )
      ).rows
    : [];
  const deadLetters = (
    await db.query<{
      id: string;
      task: string;
      status: string;
      attempts: number;
      errorCategory: string;
      errorMessage: string;
      createdAt: Date;
    }>(
      `SELECT id, task, status, attempts, error_category AS "errorCategory", error_message AS "errorMessage",
              created_at AS "createdAt"
       FROM dead_letters
       WHERE payload->>'operationId' = ANY($1::text[]) OR payload->>'orderId' = ANY($2::text[])
          OR payload->>'eventId' = ANY($3::text[]) OR payload->>'inboxId' = ANY($4::text[])
       ORDER BY created_at DESC LIMIT ${PER_SOURCE}`,
      [[...opIds], orders, outbox.map((e) => e.id), webhooks.map((w) => w.id)],
    )
  ).rows;

  const events: TimelineEvent[] = [
    ...lineage.requests.map((r) => ({
      at: iso(r.at),
      type: 'request' as const,
      summary: `${r.method} ${r.route} → ${r.status}${r.idempotencyOutcome ? ` (${r.idempotencyOutcome})` : ''}`,
      detail: { ...r, at: undefined },
    })),
    ...ops.map((op) => ({
      at: iso(op.createdAt),
      type: 'operation' as const,
      summary: `operation ${op.id} (${op.kind}): ${op.status}`,
      detail: {
        id: op.id,
        kind: op.kind,
        status: op.status,
        tenantId: op.tenantId,
        resource: op.resource,
        requestId: op.requestId,
        chargeId: op.result?.chargeId ?? null,
        lastError: op.lastError?.type ?? null,
        updatedAt: iso(op.updatedAt),
        ageS: Math.round((options.now.getTime() - op.createdAt.getTime()) / 1000),
      },
    })),
    ...lineage.attempts.map((a) => ({
      at: iso(a.at),
      type: 'attempt' as const,
      summary: `${a.dependency} ${a.method} ${a.route} → ${a.status ?? a.kind}${a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}`,
      detail: { ...a, at: undefined },
    })),
    ...deadLetters.map((d) => ({
      at: iso(d.createdAt),
      type: 'dead-letter' as const,
      summary: `dead letter ${d.id} (${d.task}): ${d.status}, ${d.errorCategory}`,
      detail: d as unknown as Record<string, unknown>,
    })),
    ...webhooks.map((w) => ({
      at: iso(w.receivedAt),
      type: 'webhook' as const,
      summary: `webhook ${w.eventType ?? '(unreadable)'}: ${w.status}${w.reason ? ` — ${w.reason}` : ''}`,
      detail: { ...w, receivedAt: undefined, processedAt: w.processedAt && iso(w.processedAt) },
    })),
    ...outbox.map((e) => ({
      at: iso(e.createdAt),
      type: 'notification' as const,
      summary: `notification ${e.type}: ${e.status} after ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}`,
      detail: {
        ...e,
        key: `notify:${e.id}`,
        createdAt: undefined,
        deliveredAt: e.deliveredAt && iso(e.deliveredAt),
      },
    })),
  ];
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    query,
    matched,
    events: events.slice(0, MAX_EVENTS),
    truncated: events.length > MAX_EVENTS || lineage.truncated,
  };
}
