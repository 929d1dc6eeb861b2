/**
 * What must hold for every answer, whatever was sent: no 5xx; every non-2xx
 * is application/problem+json with a registered `type`; no half-written
 * record (a non-2xx changes no row but its own stored idempotent answer, no
 * claim is left in flight, a 2xx idempotent write has its stored answer).
 * A response the OpenAPI document does not describe is a finding too, of its
 * own kind ('contract'), reported without failing the run.
 */
import type { ContractChecker } from '@steadfast/toolkit/testing';
import type { ConcreteRequest, FuzzTarget } from './fuzz-target.ts';
import type { FuzzOperation } from './openapi-arbitraries.ts';

export type FindingKind = '5xx' | 'not-problem' | 'unregistered-type' | 'half-written' | 'hang' | 'contract';
/** Kinds that fail the suite; 'contract' is reported only. */
export const FATAL_KINDS: FindingKind[] = ['5xx', 'not-problem', 'unregistered-type', 'half-written', 'hang'];

export interface Finding {
  kind: FindingKind;
  operation: string;
  status: number;
  /** one line: what broke (problem type, error logged, rows changed, …) */
  detail: string;
}

export interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
  replayed: boolean;
}

const TABLES = [
  'orders',
  'operations',
  'outbox',
  'dead_letters',
  'webhook_inbox',
  'graphile_worker._private_jobs',
];

/**
 * A digest of every row a request could write, but idempotency keys (checked
 * on their own). `webhook`: webhook intake keeps an unparseable delivery as
 * `failed` with a reason and answers 4xx, by design: those rows do not count.
 */
export async function stateDigest(target: FuzzTarget, webhook = false): Promise<Record<string, string>> {
  const kept = "NOT (r.status = 'failed' AND r.reason IS NOT NULL)";
  const sql = TABLES.map(
    (table) =>
      `SELECT '${table}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '') AS d FROM ${table} r` +
      (webhook && table === 'webhook_inbox' ? ` WHERE ${kept}` : ''),
  ).join(' UNION ALL ');
  const { rows } = await target.app.db.pool.query<{ t: string; d: string }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.d]));
}

/** The problem-shape findings of one answer. */
export function problemFindings(op: FuzzOperation, answer: Answer, registered: Set<string>): Finding[] {
  const found = (kind: FindingKind, detail: string): Finding[] => [
    { kind, operation: op.name, status: answer.status, detail },
  ];
  if (answer.status >= 200 && answer.status < 300) return [];
  if (!answer.contentType?.startsWith('application/problem+json')) {
    const code = /"code":"([A-Z_]+)"/.exec(answer.body)?.[1];
    return found(
      'not-problem',
      `content-type ${answer.contentType ?? '(none)'}${code ? `, code ${code}` : ''}`,
    );
  }
  let body: { type?: unknown; status?: unknown };
  try {
    body = JSON.parse(answer.body);
  } catch {
    return found('not-problem', `body is not JSON: ${answer.body.slice(0, 120)}`);
  }
  const slug = typeof body.type === 'string' ? /^\/problems\/([a-z0-9-]+)$/.exec(body.type)?.[1] : undefined;
  if (!slug || !registered.has(slug)) return found('unregistered-type', `type ${String(body.type)}`);
  if (body.status !== answer.status) return found('not-problem', `body status ${String(body.status)}`);
  return [];
}

/** Route template as the idempotency plugin stores it: `/v1/orders/:id/pay`. */
const routeOf = (op: FuzzOperation) => op.path.replace(/\{(\w+)\}/g, ':$1');

export async function writeFindings(
  target: FuzzTarget,
  op: FuzzOperation,
  request: ConcreteRequest,
  answer: Answer,
  before: Record<string, string> | undefined,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const found = (detail: string) =>
    findings.push({ kind: 'half-written', operation: op.name, status: answer.status, detail });
  const db = target.app.db.pool;
  const ok = answer.status >= 200 && answer.status < 300;
  if (before && !ok) {
    const after = await stateDigest(target, op.webhook);
    const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
    if (changed.length) found(`a ${answer.status} answer changed ${changed.join(', ')}`);
  }
  const inFlight = await db.query<{ route: string; key: string }>(
    "SELECT route, key FROM idempotency_keys WHERE state = 'in_flight'",
  );
  for (const row of inFlight.rows) found(`claim left in flight: ${row.route} key ${row.key.slice(0, 60)}`);
  // every claim is released or completed once answered; clear it so one finding does not repeat forever
  if (inFlight.rowCount) await db.query("DELETE FROM idempotency_keys WHERE state = 'in_flight'");
  if (op.method === 'POST' && !op.webhook && request.idempotencyKey) {
    const { rows } = await db.query<{ state: string; response_status: number | null }>(
      'SELECT state, response_status FROM idempotency_keys WHERE key = $1 AND method = $2 AND route = $3 AND tenant_id = $4',
      [request.idempotencyKey, op.method, routeOf(op), target.app.tenant.tenantId],
    );
    const row = rows[0];
    const sentAsTenant = request.inject.headers.authorization === `Bearer ${target.app.tenant.apiKey}`;
    if (ok && sentAsTenant && !answer.replayed && row?.response_status !== answer.status) {
      found(`a ${answer.status} write has no stored answer for its key (${row?.state ?? 'no row'})`);
    }
    if (!ok && row && request.freshKey && row.response_status !== answer.status) {
      found(`a ${answer.status} answer left key record ${row.state}/${row.response_status}`);
    }
  }
  return findings;
}

export function contractFindings(
  checker: ContractChecker,
  op: FuzzOperation,
  request: ConcreteRequest,
  answer: Answer,
): Finding[] {
  const violations = checker.check({
    method: op.method,
    path: request.inject.url,
    status: answer.status,
    contentType: answer.contentType,
    body: answer.body,
  });
  return violations.map((detail) => ({
    kind: 'contract' as const,
    operation: op.name,
    status: answer.status,
    detail: detail.slice(0, 200),
  }));
}
