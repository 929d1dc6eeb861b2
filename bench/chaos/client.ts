/**
 * The chaos run's client, well behaved: loops of create → submit → approve →
 * pay, each step retried with the same Idempotency-Key after a 5xx, a 429, a
 * 409 (the same key still in flight), a timeout or a broken connection,
 * waiting what Retry-After says (else a capped exponential backoff). Every
 * attempt is recorded (for latencies), every acknowledged create and pay too
 * (in db-drill's LoadResult shape, for checkNothingLost).
 */
import type { LoadResult } from '../../apps/orders/src/runtime/db-drill.ts';

export interface Attempt {
  startedAt: number;
  endedAt: number;
  /** the HTTP status, or 0 for a network error or timeout */
  status: number;
  step: string;
}

export interface ClientResult extends LoadResult {
  attempts: Attempt[];
  /** steps answered with a 4xx other than 409/429: the client gave up on them (none expected) */
  rejected: { step: string; status: number; body: string }[];
  /** the first 5xx answers (retried), with their bodies, for evidence */
  serverErrors: { step: string; status: number; body: string }[];
}

export interface ChaosClient {
  stop(): Promise<ClientResult>;
}

const RETRYABLE = new Set([409, 429]);

/** How long to wait before the next attempt: Retry-After (capped at 5 s), else 100 ms × 2^n up to 2 s. */
export function retryDelayMs(retryAfter: string | null, attempt: number, random = Math.random): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 5000);
  const base = Math.min(100 * 2 ** attempt, 2000);
  return base / 2 + random() * (base / 2);
}

export function startClient(options: {
  apiUrl: string;
  apiKey: string;
  clients: number;
  preferWait: boolean;
  prefix: string;
  attemptTimeoutMs?: number;
  /** after stop(), a step in progress keeps retrying this long (so an answer is not left unknown) */
  drainMs?: number;
}): ChaosClient {
  const result: ClientResult = {
    created: [],
    paid: [],
    statuses: {},
    successesAt: [],
    attempts: [],
    rejected: [],
    serverErrors: [],
  };
  let stopping = false;
  let drainDeadline = Number.POSITIVE_INFINITY;

  async function step(
    name: string,
    method: string,
    url: string,
    key: string,
    body?: unknown,
    prefer?: string,
  ) {
    for (let attempt = 0; ; attempt++) {
      const startedAt = performance.now();
      let status = 0;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(`${options.apiUrl}${url}`, {
          method,
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            'idempotency-key': key,
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(prefer ? { prefer } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 10_000),
        });
        const text = await response.text();
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        result.attempts.push({ startedAt, endedAt: performance.now(), status, step: name });
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (response.ok) {
          result.successesAt.push(performance.now());
          return JSON.parse(text) as Record<string, unknown>;
        }
        if (status >= 500 && result.serverErrors.length < 20)
          result.serverErrors.push({ step: name, status, body: text.slice(0, 500) });
        if (status < 500 && !RETRYABLE.has(status)) {
          result.rejected.push({ step: name, status, body: text.slice(0, 500) });
          return undefined;
        }
      } catch {
        result.attempts.push({ startedAt, endedAt: performance.now(), status: 0, step: name });
        result.statuses.network = (result.statuses.network ?? 0) + 1;
      }
      if (performance.now() > drainDeadline) return undefined;
      await new Promise((r) => setTimeout(r, retryDelayMs(retryAfter, attempt)));
    }
  }

  async function loop(c: number): Promise<void> {
    for (let n = 0; !stopping; n++) {
      const key = `${options.prefix}-${c}-${n}`;
      const order = await step('create', 'POST', '/v1/orders', `${key}-create`, {
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1 + (n % 3) }],
      });
      if (!order) continue;
      const id = String(order.id);
      result.created.push(id);
      let ok = true;
      for (const action of ['submit', 'approve']) {
        if (ok && !(await step(action, 'POST', `/v1/orders/${id}/${action}`, `${key}-${action}`))) ok = false;
      }
      if (!ok) continue;
      const prefer = options.preferWait ? 'wait=5' : undefined;
      const op = await step('pay', 'POST', `/v1/orders/${id}/pay`, `${key}-pay`, undefined, prefer);
      if (op) result.paid.push({ orderId: id, operationId: String(op.id) });
    }
  }

  const loops = Array.from({ length: options.clients }, (_, c) => loop(c));
  return {
    async stop() {
      stopping = true;
      drainDeadline = performance.now() + (options.drainMs ?? 30_000);
      await Promise.all(loops);
      return result;
    },
  };
}
