/**
 * For testing fault-injection mode: a "carts" API that calls a dependency (a
 * quote on create, a charge on checkout) through the checker's fault proxy,
 * and the dependency itself. Correct by default — per-attempt timeout, one
 * retry with the same outbound key, a breaker that half-opens, retryable
 * problem+json on failure — with one fault switch per `faults` check.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type DependentFault =
  | 'hangs' // no timeout toward the dependency: a hung dependency hangs the API
  | 'raw-500' // a dependency failure answers 500
  | 'replays-failure' // the failed answer is stored under the key and replayed
  | 'no-outbound-key' // charges carry no Idempotency-Key
  | 'double-effect' // a new outbound key per attempt: a lost answer charges twice
  | 'retry-storm' // six attempts per call, no breaker
  | 'breaker-never-closes'; // once open, the breaker stays open

interface Served {
  url: string;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener, port = 0): Promise<Served> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The dependency: quotes and charges; charges are deduplicated by Idempotency-Key and counted. */
export async function startFakeDependency() {
  const charges = new Map<string, { id: string }>();
  let effects = 0;
  const served = await serve(async (req, res) => {
    await readBody(req);
    if (req.method === 'GET' && req.url?.startsWith('/quote/')) return send(res, 200, { amount: 1200 });
    if (req.method === 'POST' && req.url === '/charges') {
      const key = req.headers['idempotency-key'] as string | undefined;
      const existing = key ? charges.get(key) : undefined;
      if (existing) return send(res, 200, existing);
      effects++;
      const charge = { id: `ch_${effects}` };
      if (key) charges.set(key, charge);
      return send(res, 201, charge);
    }
    send(res, 404, { error: 'not found' });
  });
  return { ...served, effects: () => effects };
}

const problem = (status: number, detail: string) => ({
  type: '/problems/dependency-unavailable',
  title: 'A dependency failed',
  status,
  detail,
  category: 'dependency',
  retryable: true,
});

export function fakeDependentSpec() {
  const problemContent = { 'application/problem+json': { schema: { type: 'object' } } };
  const errors = Object.fromEntries(
    ['400', '404', '409', '500', '503'].map((s) => [s, { description: 'error', content: problemContent }]),
  );
  const cart = {
    type: 'object',
    required: ['id', 'status'],
    properties: { id: { type: 'string' }, status: { type: 'string' } },
  };
  const key = { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } };
  const json = (schema: object) => ({ content: { 'application/json': { schema } } });
  return {
    openapi: '3.1.0',
    info: { title: 'carts', version: '1' },
    paths: {
      '/v1/carts': {
        post: {
          operationId: 'createCart',
          parameters: [key],
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              additionalProperties: false,
              required: ['sku'],
              properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$' } },
            }),
          },
          responses: { '201': { description: 'created', ...json(cart) }, ...errors },
        },
      },
      '/v1/carts/{id}': {
        get: {
          operationId: 'getCart',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'the cart', ...json(cart) }, ...errors },
        },
      },
      '/v1/carts/{id}/checkout': {
        post: {
          operationId: 'checkout',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, key],
          responses: { '200': { description: 'paid', ...json(cart) }, ...errors },
        },
      },
    },
  };
}

export async function startFakeDependentApi(options: {
  dependencyUrl: string;
  fault?: DependentFault;
  port?: number;
}) {
  const { fault } = options;
  const carts = new Map<string, { id: string; status: string }>();
  const stored = new Map<string, { status: number; body: unknown; headers: Record<string, string> }>();
  const breaker = { failures: 0, openedAt: 0, open: false };
  const attempts = fault === 'retry-storm' ? 6 : 2;
  const threshold = 5;

  /** Call the dependency: per-attempt timeout (unless 'hangs'), retries, breaker. Throws on failure. */
  async function call(method: string, path: string, idempotencyKey?: string): Promise<unknown> {
    if (fault !== 'retry-storm' && breaker.open) {
      if (fault === 'breaker-never-closes' || Date.now() - breaker.openedAt < 1000)
        throw new Error('breaker open');
      breaker.open = false; // half-open: this call is the probe
      breaker.failures = threshold - 1;
    }
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const key = fault === 'double-effect' ? `${idempotencyKey}:${randomUUID()}` : idempotencyKey;
      try {
        const response = await fetch(`${options.dependencyUrl}${path}`, {
          method,
          headers: key && fault !== 'no-outbound-key' ? { 'idempotency-key': key } : {},
          // a storm retries at once: six quick attempts take about as long as two normal ones
          signal: fault === 'hangs' ? undefined : AbortSignal.timeout(fault === 'retry-storm' ? 300 : 1000),
        });
        const body = await response.json();
        if (response.status >= 300) throw new Error(`dependency answered ${response.status}`);
        breaker.failures = 0;
        return body;
      } catch (error) {
        lastError = error as Error;
        if (++breaker.failures >= threshold && !breaker.open) {
          breaker.open = true;
          breaker.openedAt = Date.now();
        }
        if (breaker.open && fault !== 'retry-storm') break;
      }
    }
    throw lastError ?? new Error('dependency failed');
  }

  async function idempotent(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    work: () => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>,
  ) {
    const key = req.headers['idempotency-key'] as string | undefined;
    if (!key) return send(res, 400, { ...problem(400, 'Idempotency-Key is required'), retryable: false });
    const scope = `${req.url} ${key}`;
    const replay = stored.get(scope);
    if (replay)
      return send(res, replay.status, replay.body, { ...replay.headers, 'idempotent-replayed': 'true' });
    let answer: { status: number; body: unknown; headers?: Record<string, string> };
    try {
      answer = await work();
    } catch (error) {
      answer =
        fault === 'raw-500'
          ? { status: 500, body: { error: (error as Error).message }, headers: {} }
          : {
              status: 503,
              body: problem(503, (error as Error).message),
              headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
            };
    }
    if (answer.status < 300 || fault === 'replays-failure')
      stored.set(scope, { status: answer.status, body: answer.body, headers: answer.headers ?? {} });
    send(res, answer.status, answer.body, answer.headers);
  }

  const served = await serve(async (req, res) => {
    const body = await readBody(req);
    const url = req.url ?? '/';
    if (url === '/openapi.json') return send(res, 200, fakeDependentSpec());
    const item = /^\/v1\/carts\/([^/]+)(\/checkout)?$/.exec(url);
    if (req.method === 'POST' && url === '/v1/carts')
      return idempotent(req, res, async () => {
        const sku = (JSON.parse(body || '{}') as { sku?: string }).sku ?? 'ANY-0000';
        await call('GET', `/quote/${encodeURIComponent(sku)}`);
        const cart = { id: `cart_${carts.size + 1}`, status: 'open' };
        carts.set(cart.id, cart);
        return { status: 201, body: cart };
      });
    const cart = item ? carts.get(decodeURIComponent(item[1] as string)) : undefined;
    if (!cart)
      return send(
        res,
        404,
        { ...problem(404, 'no such cart'), retryable: false },
        { 'content-type': 'application/problem+json' },
      );
    if (req.method === 'GET' && !item?.[2]) return send(res, 200, cart);
    if (req.method === 'POST' && item?.[2])
      return idempotent(req, res, async () => {
        if (cart.status !== 'open')
          return {
            status: 409,
            body: { ...problem(409, `cart is ${cart.status}`), retryable: false },
            headers: { 'content-type': 'application/problem+json' },
          };
        await call('POST', '/charges', `checkout:${cart.id}`);
        cart.status = 'paid';
        return { status: 200, body: cart };
      });
    send(
      res,
      404,
      { ...problem(404, 'no such route'), retryable: false },
      { 'content-type': 'application/problem+json' },
    );
  }, options.port);
  return served;
}

/** A free port on 127.0.0.1, for a proxy that starts later. */
export async function freePort(): Promise<number> {
  const probe = await serve(() => {});
  const port = Number(new URL(probe.url).port);
  await probe.close();
  return port;
}
