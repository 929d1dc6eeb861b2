/**
 * The app under fuzz: the Orders API on its own database (buildTestApp, with
 * webhook intake), a second tenant, and data for path parameters to point at —
 * orders in every status, an operation, dead letters, webhook events. Turns a
 * symbolic FuzzRequest into a concrete one against the current data.
 */
import { randomUUID } from 'node:crypto';
import { insertDeadLetter } from '@steadfast/toolkit/jobs';
import type { InjectOptions } from 'fastify';
import { buildTestApp, ORDER_BODY, signedWebhookHeaders, type TestApp, type TestTenant } from '../testing.ts';
import { renderJson } from './nasty-values.ts';
import type { FuzzOperation, FuzzRequest } from './openapi-arbitraries.ts';

export const WEBHOOK_SECRET = `whsec_${Buffer.from('fuzz-webhook-secret-of-32-bytes!').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('not-the-secret-the-app-knows-32b').toString('base64')}`;

export interface FuzzTarget {
  app: TestApp;
  /** the tenant without the ops scope; owns the "foreign" order */
  other: TestTenant;
  foreignOrderId: string;
  close(): Promise<void>;
}

/** A concrete request, as sent, plus what the invariants need to know about it. */
export interface ConcreteRequest {
  inject: InjectOptions & { method: string; url: string; headers: Record<string, string> };
  /** the key as the server parses it, when we chose it (undefined: none or a weird one) */
  idempotencyKey: string | undefined;
  /** the key was never used before: any record for it is this request's */
  freshKey: boolean;
}

export async function createFuzzTarget(): Promise<FuzzTarget> {
  const app = await buildTestApp({ webhooks: { secrets: [WEBHOOK_SECRET] } });
  const other = await app.createTenant({ name: 'Tenant B' });
  const send = async (method: 'POST', url: string, payload?: object, apiKey?: string) => {
    const response = await app.inject({ method, url, payload, apiKey });
    if (response.statusCode >= 300) throw new Error(`fuzz fixture ${method} ${url}: ${response.body}`);
    return response.json() as { id: string };
  };
  const orders: string[] = [];
  for (let i = 0; i < 7; i++) orders.push((await send('POST', '/v1/orders', ORDER_BODY)).id);
  for (const id of orders.slice(0, 5)) await send('POST', `/v1/orders/${id}/submit`);
  for (const id of orders.slice(0, 4)) await send('POST', `/v1/orders/${id}/approve`);
  await send('POST', `/v1/orders/${orders[0]}/pay`);
  await send('POST', `/v1/orders/${orders[6]}/cancel`);
  const foreign = await send('POST', '/v1/orders', ORDER_BODY, other.apiKey);
  for (let i = 0; i < 3; i++) {
    await insertDeadLetter(app.db.pool, {
      id: app.built.ids.next('dl'),
      tenantId: app.tenant.tenantId,
      task: 'take-payment',
      payload: { operationId: 'op_fuzz' },
      attempts: 3,
      errorCategory: 'dependency',
      errorMessage: 'fuzz fixture',
      firstFailedAt: new Date().toISOString(),
    });
  }
  for (let i = 0; i < 2; i++) {
    const payload = JSON.stringify({
      id: `evt_${i}`,
      type: 'charge.succeeded',
      data: { charge: { id: 'ch_1' } },
    });
    const headers = webhookHeaders(`msg_fixture_${i}`, WEBHOOK_SECRET, 0, payload);
    const response = await app.server.inject({ method: 'POST', url: '/webhooks/payments', headers, payload });
    if (response.statusCode !== 200) throw new Error(`fuzz fixture webhook: ${response.body}`);
  }
  return { app, other, foreignOrderId: foreign.id, close: () => app.close() };
}

function webhookHeaders(
  id: string,
  secret: string,
  offsetS: number,
  payload: string,
): Record<string, string> {
  return signedWebhookHeaders(secret, payload, { id, at: new Date(Date.now() + offsetS * 1000) });
}

const TABLE_OF: Record<string, { table: string; tenant: boolean }> = {
  ord: { table: 'orders', tenant: true },
  op: { table: 'operations', tenant: true },
  dl: { table: 'dead_letters', tenant: false },
  whk: { table: 'webhook_inbox', tenant: false },
};
const ULID_LIKE = '0000000000000000000000fuzz';

async function knownId(target: FuzzTarget, prefix: string, status: string, index: number): Promise<string> {
  const where = TABLE_OF[prefix];
  if (!where) return `${prefix}_${ULID_LIKE}`;
  const byStatus = prefix === 'ord' && status !== 'any';
  const tenant = where.tenant ? `tenant_id = '${target.app.tenant.tenantId}'` : 'true';
  const { rows } = await target.app.db.pool.query<{ id: string }>(
    `SELECT id FROM ${where.table} WHERE ${tenant} AND ($1::text IS NULL OR status = $1) ORDER BY id`,
    [byStatus ? status : null],
  );
  if (rows.length === 0 && byStatus) return knownId(target, prefix, 'any', index);
  return rows.length ? (rows[index % rows.length] as { id: string }).id : `${prefix}_${ULID_LIKE}`;
}

const prefixOf = (pattern: string | undefined) => /^\^([a-z]+)_/.exec(pattern ?? '')?.[1] ?? 'x';

/** Resolve the symbolic parts of a request against the data as it is now. */
export async function concreteRequest(
  target: FuzzTarget,
  op: FuzzOperation,
  request: FuzzRequest,
): Promise<ConcreteRequest> {
  const { app } = target;
  let url = op.path;
  let orderId: string | undefined;
  for (const [i, param] of op.pathParams.entries()) {
    const value = request.path[i];
    const prefix = prefixOf(param.schema.pattern);
    let text: string;
    if (!value || value.kind === 'known') {
      text = await knownId(target, prefix, value?.status ?? 'any', value?.index ?? 0);
      if (prefix === 'ord') orderId = text;
    } else if (value.kind === 'foreign') {
      text = prefix === 'ord' ? target.foreignOrderId : `${prefix}_${ULID_LIKE}`;
    } else if (value.kind === 'raw') {
      text = value.value;
    } else {
      text = encodeURIComponent(value.value.toWellFormed());
    }
    url = url.replace(`{${param.name}}`, text);
  }
  if (request.query.length) {
    const encode = ([name, value, raw]: [string, string, boolean]) =>
      `${encodeURIComponent(name.toWellFormed())}=${raw ? value : encodeURIComponent(value.toWellFormed())}`;
    url += `?${request.query.map(encode).join('&')}`;
  }

  const headers: Record<string, string> = {};
  const auth = request.auth;
  if (auth === 'tenant') headers.authorization = `Bearer ${app.tenant.apiKey}`;
  else if (auth === 'plain') headers.authorization = `Bearer ${target.other.apiKey}`;
  else if (auth !== 'none') headers.authorization = auth.value;

  let idempotencyKey: string | undefined;
  const key = request.idempotencyKey;
  if (key === 'fresh') idempotencyKey = `fuzz-${randomUUID()}`;
  else if (key === 'reused') idempotencyKey = 'fuzz-reused-key';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  else if (typeof key === 'object') headers['idempotency-key'] = key.value;

  const ifMatch = request.ifMatch;
  if (ifMatch === 'current' || ifMatch === 'stale') {
    const { rows } = await app.db.pool.query<{ version: number }>(
      'SELECT version FROM orders WHERE id = $1',
      [orderId ?? ''],
    );
    const version = rows[0]?.version ?? 1;
    headers['if-match'] = `"${ifMatch === 'current' ? version : version - 1}"`;
  } else if (ifMatch === '*') headers['if-match'] = '*';
  else if (ifMatch !== 'none') headers['if-match'] = ifMatch.value;
  if (request.prefer !== null) headers.prefer = request.prefer;

  const body = request.body;
  const payload = body.kind === 'none' ? undefined : body.kind === 'raw' ? body.text : renderJson(body.value);
  if (request.contentType === 'default') {
    if (payload !== undefined) headers['content-type'] = 'application/json';
  } else if (request.contentType !== null) headers['content-type'] = request.contentType;
  for (const [name, value] of request.extraHeaders) headers[name] = value;

  const delivery = request.webhook;
  if (delivery) {
    const id =
      delivery.id === 'fresh'
        ? `msg_${randomUUID()}`
        : delivery.id === 'reused'
          ? 'msg_fuzz_reused'
          : delivery.id.value;
    const signed = webhookHeaders(
      id,
      delivery.signature === 'wrong-secret' ? OTHER_SECRET : WEBHOOK_SECRET,
      delivery.timestampOffsetS,
      payload ?? '',
    );
    if (delivery.signature === 'none') delete signed['webhook-signature'];
    if (delivery.signature === 'garbage') signed['webhook-signature'] = 'v1,garbage';
    Object.assign(headers, signed);
  }
  return { inject: { method: op.method, url, headers, payload }, idempotencyKey, freshKey: key === 'fresh' };
}
