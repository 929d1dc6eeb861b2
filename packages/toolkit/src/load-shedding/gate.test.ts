/**
 * The gate in front of a bare Fastify app on a real port, saturated with slow
 * requests held on a gate the test opens: sheddable work goes first, critical
 * last, exempt never; slots come back after answers, aborts and errors; a
 * refusal never reaches Fastify and is the very body the problems plugin
 * renders; the server keeps the options Fastify gives it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createRequestIdGenerator } from '../observability/index.ts';
import { coreProblems, createProblemRegistry, problemServerOptions, problems } from '../problems/index.ts';
import { eventually } from '../testing/eventually.ts';
import { sendRawHttp } from '../testing/raw-http.ts';
import { type ConcurrencyLimiter, type Criticality, createFixedConcurrencyLimit } from './limiter.ts';
import { loadSheddingProblems, overloaded } from './problems.ts';
import { createLoadShedding, type LoadSheddingOptions } from './server.ts';

function createHold() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

interface Harness {
  app: FastifyInstance;
  base: string;
  port: number;
  limiter: ConcurrencyLimiter;
  registry: Registry;
  gate: ReturnType<typeof createHold>;
  arrived: { count: number };
  /** requests Fastify saw (its first onRequest hook) */
  seen: { count: number };
  warnings: { shed: Record<string, number> }[];
  classified: string[];
}

const problemRegistry = createProblemRegistry(coreProblems, loadSheddingProblems);

let open: { app: FastifyInstance; gate?: ReturnType<typeof createHold> }[] = [];
afterEach(async () => {
  for (const h of open) {
    h.gate?.open();
    // fetch's pool keeps (and after an abort, opens) idle connections that would hold close() for its keep-alive time
    h.app.server.closeAllConnections();
    await h.app.close();
  }
  open = [];
});

async function listen(app: FastifyInstance) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { port, base: `http://127.0.0.1:${port}` };
}

async function start(options: Partial<LoadSheddingOptions> & { fixedLimit?: number } = {}): Promise<Harness> {
  const registry = new Registry();
  const limiter = options.limiter ?? createFixedConcurrencyLimit({ fixedLimit: options.fixedLimit ?? 4 });
  const warnings: Harness['warnings'] = [];
  const classified: string[] = [];
  const shedding = createLoadShedding({
    registry,
    log: { warn: (fields) => warnings.push(fields as { shed: Record<string, number> }) },
    summaryIntervalMs: 20,
    criticalityOf: (route) => {
      classified.push(`${route.method} ${route.url}`);
      return route.url.startsWith('/items/') ? 'critical' : 'normal';
    },
    ...options,
    limiter,
  });
  const app = Fastify({
    ...problemServerOptions({ registry: problemRegistry }),
    serverFactory: shedding.serverFactory,
    genReqId: createRequestIdGenerator(),
    requestIdHeader: false,
    keepAliveTimeout: 12_345,
    requestTimeout: 23_456,
    http: { headersTimeout: 300, connectionsCheckingInterval: 50, requireHostHeader: false },
  }) as unknown as FastifyInstance;
  const gate = createHold();
  open.push({ app, gate });
  const arrived = { count: 0 };
  const seen = { count: 0 };
  app.addHook('onRequest', (_request, _reply, done) => {
    seen.count++;
    done();
  });
  await app.register(problems, { registry: problemRegistry });
  await app.register(shedding.plugin);
  const slow = async () => {
    arrived.count++;
    await gate.opened;
    return { ok: true };
  };
  for (const criticality of ['critical', 'normal', 'sheddable'] as Criticality[])
    app.route({ method: ['GET', 'POST'], url: `/${criticality}`, config: { criticality }, handler: slow });
  app.get('/default', slow);
  app.get('/items/:id', slow);
  app.get('/poll', { config: { criticality: 'normal' } }, slow);
  app.get('/healthz', { config: { criticality: 'exempt' } }, async () => ({ status: 'ok' }));
  app.get('/fails', { config: { criticality: 'critical' } }, async () => {
    arrived.count++;
    await gate.opened;
    throw new Error('the handler broke');
  });
  app.get('/throws', { config: { criticality: 'critical' } }, () => {
    throw new Error('synchronously');
  });
  const { port, base } = await listen(app);
  return { app, base, port, limiter, registry, gate, arrived, seen, warnings, classified };
}

async function inflightIs(h: Harness, n: number) {
  await eventually(() => h.limiter.inflight() === n, {
    message: `in flight ${h.limiter.inflight()}, expected ${n}`,
  });
}

async function metric(h: Harness, name: string) {
  return (await h.registry.getSingleMetric(name)?.get())?.values ?? [];
}

async function assertOverloaded(response: Response) {
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '1');
  assert.match(String(response.headers.get('content-type')), /^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(body.type, '/problems/overloaded');
  assert.equal(body.category, 'rate-limited');
  assert.equal(body.retryable, true);
  assert.equal(body.status, 503);
}

describe('the gate with a fixed limit of 4 (sheddable < 2, normal < 3, critical < 4 in flight)', () => {
  test('sheddable work is refused first, critical last, exempt never; every slot comes back', async () => {
    const h = await start();
    const held = [fetch(`${h.base}/sheddable`), fetch(`${h.base}/sheddable`)];
    await inflightIs(h, 2);
    await assertOverloaded(await fetch(`${h.base}/sheddable`));

    held.push(fetch(`${h.base}/normal`));
    await inflightIs(h, 3);
    await assertOverloaded(await fetch(`${h.base}/normal`));
    await assertOverloaded(await fetch(`${h.base}/default`)); // no config → normal

    held.push(fetch(`${h.base}/items/7`)); // criticalityOf: critical
    await inflightIs(h, 4);
    await assertOverloaded(await fetch(`${h.base}/critical`));
    await assertOverloaded(await fetch(`${h.base}/nowhere`)); // no route: sheddable (a 404)

    const health = await fetch(`${h.base}/healthz`);
    assert.equal(health.status, 200, 'exempt routes are always answered');

    assert.deepEqual(
      (await metric(h, 'steadfast_shed_requests_total')).map((v) => [v.labels.criticality, v.value]).sort(),
      [
        ['critical', 1],
        ['normal', 2],
        ['sheddable', 2],
      ],
    );
    assert.equal((await metric(h, 'steadfast_inflight_requests'))[0].value, 4);
    assert.equal((await metric(h, 'steadfast_concurrency_limit'))[0].value, 4);

    h.gate.open();
    assert.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200, 200, 200],
    );
    await inflightIs(h, 0);
    assert.equal((await fetch(`${h.base}/sheddable`)).status, 200);
  });

  test('a refusal never reaches Fastify, and its body is not read', async () => {
    const h = await start({ fixedLimit: 1 });
    const held = fetch(`${h.base}/critical`);
    await inflightIs(h, 1);
    const before = h.seen.count;
    const refused = await fetch(`${h.base}/sheddable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ big: 'x'.repeat(100_000) }),
    });
    await assertOverloaded(refused);
    assert.equal(h.seen.count, before, 'no Fastify hook ran for the refused request');
    h.gate.open();
    assert.equal((await held).status, 200);
  });

  test('requests the client aborts release their slots at once, while their handlers still wait', async () => {
    const h = await start();
    const aborts = Array.from({ length: 4 }, () => new AbortController());
    const held = aborts.map((a) => fetch(`${h.base}/critical`, { signal: a.signal }).catch((e: Error) => e));
    await inflightIs(h, 4);
    await assertOverloaded(await fetch(`${h.base}/critical`));
    for (const a of aborts) a.abort();
    for (const r of await Promise.all(held)) assert.ok(r instanceof Error);
    await inflightIs(h, 0);
    const gate = h.gate;
    const again = fetch(`${h.base}/sheddable`);
    await inflightIs(h, 1);
    gate.open();
    const r = await again;
    assert.equal(r.status, 200);
    await r.text();
    await inflightIs(h, 0);
  });

  test('handler errors (async and sync) release their slots', async () => {
    const h = await start();
    const failing = [fetch(`${h.base}/fails`), fetch(`${h.base}/fails`)];
    await inflightIs(h, 2);
    assert.equal((await fetch(`${h.base}/throws`)).status, 500);
    h.gate.open();
    assert.deepEqual(
      (await Promise.all(failing)).map((r) => r.status),
      [500, 500],
    );
    await inflightIs(h, 0);
  });

  test('unmeasured requests (long-polls) are admitted by class but never counted in flight', async () => {
    const h = await start({ measure: (request) => request.url !== '/poll' });
    const polls = [fetch(`${h.base}/poll`), fetch(`${h.base}/poll`), fetch(`${h.base}/poll`)];
    await eventually(() => h.arrived.count === 3);
    assert.equal(h.limiter.inflight(), 0);
    const held = [fetch(`${h.base}/normal`), fetch(`${h.base}/normal`), fetch(`${h.base}/normal`)];
    await inflightIs(h, 3);
    await assertOverloaded(await fetch(`${h.base}/poll`)); // under pressure a poll is shed by its class
    h.gate.open();
    for (const r of await Promise.all([...polls, ...held])) assert.equal(r.status, 200);
    await inflightIs(h, 0);
  });

  test('refusals are logged as one summary line per interval, not one line each', async () => {
    const h = await start({ fixedLimit: 2, summaryIntervalMs: 200 });
    const held = [fetch(`${h.base}/critical`), fetch(`${h.base}/critical`)];
    await inflightIs(h, 2);
    const startedMs = Date.now();
    for (let i = 0; i < 5; i++) await assertOverloaded(await fetch(`${h.base}/sheddable`));
    await assertOverloaded(await fetch(`${h.base}/critical`));
    const elapsedMs = Date.now() - startedMs;
    const total = (key: string) => h.warnings.reduce((n, w) => n + (w.shed[key] ?? 0), 0);
    await eventually(() => total('sheddable') === 5 && total('critical') === 1, {
      message: `summaries so far: ${JSON.stringify(h.warnings)}`,
    });
    assert.ok(
      h.warnings.length <= Math.ceil(elapsedMs / 200) + 1,
      `at most one line per interval: ${h.warnings.length} lines in ${elapsedMs} ms`,
    );
    h.gate.open();
    await Promise.all(held);
  });

  test('Retry-After is configurable', async () => {
    const h = await start({ fixedLimit: 1, retryAfterS: 3 });
    const held = fetch(`${h.base}/critical`);
    await inflightIs(h, 1);
    const refused = await fetch(`${h.base}/critical`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '3');
    // refusals share one problem instance: each body still names its own request
    const [a, b] = await Promise.all(
      ['/critical', '/normal?x=1'].map(
        async (url) => (await (await fetch(`${h.base}${url}`)).json()) as Record<string, unknown>,
      ),
    );
    assert.notEqual(a.requestId, b.requestId);
    assert.deepEqual([a.instance, b.instance], ['/critical', '/normal']);
    h.gate.open();
    await held;
  });
});

describe('the refusal', () => {
  test('its body is exactly what the problems plugin renders for `overloaded`, with each request its own id', async () => {
    const h = await start({ fixedLimit: 1 });
    const held = fetch(`${h.base}/critical`);
    await inflightIs(h, 1);
    // the same problem answered through Fastify and the problems plugin
    const reference = Fastify({ genReqId: createRequestIdGenerator(), requestIdHeader: false });
    open.push({ app: reference });
    await reference.register(problems, { registry: problemRegistry });
    reference.get('/sheddable', async () => {
      throw overloaded(1);
    });
    const other = await listen(reference);
    const path = '/sheddable?page=2&q=%22x%22';
    const headers = { 'x-request-id': 'req_same-for-both' };
    const [gated, rendered] = await Promise.all([
      fetch(`${h.base}${path}`, { headers }),
      fetch(`${other.base}${path}`, { headers }),
    ]);
    assert.equal(gated.status, 503);
    assert.equal(rendered.status, 503);
    for (const name of ['content-type', 'retry-after', 'x-request-id', 'content-length'])
      assert.equal(gated.headers.get(name), rendered.headers.get(name), name);
    const text = await gated.text();
    assert.equal(text, await rendered.text());
    assert.equal((JSON.parse(text) as { instance: string }).instance, '/sheddable');

    const ids = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const r = await fetch(`${h.base}/sheddable`);
        const body = (await r.json()) as { requestId: string };
        assert.equal(r.headers.get('x-request-id'), body.requestId);
        return body.requestId;
      }),
    );
    assert.equal(new Set(ids).size, 5, `unique ids: ${ids}`);
    for (const id of ids) assert.match(id, /^req_[A-Za-z0-9_-]{16}$/);
    h.gate.open();
    await held;
  });

  test('a path with characters JSON must escape is its instance, escaped', async () => {
    const h = await start({ fixedLimit: 1 });
    const held = fetch(`${h.base}/critical`);
    await inflightIs(h, 1);
    const answer = await sendRawHttp(h.port, 'GET /a\\b"c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 503);
    assert.equal((JSON.parse(answer.body) as { instance: string }).instance, '/a\\b"c');
    assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
    h.gate.open();
    await held;
  });
});

describe('routes are classified once, when added', () => {
  test('criticalityOf runs once per route and method, never per request; HEAD follows GET', async () => {
    const h = await start({ fixedLimit: 1 });
    const before = h.classified.length;
    assert.ok(h.classified.includes('GET /items/:id'));
    assert.ok(!h.classified.includes('GET /critical'), 'a configured criticality wins, no call');
    const held = fetch(`${h.base}/items/1`);
    await inflightIs(h, 1);
    assert.equal((await fetch(`${h.base}/items/2`)).status, 503); // critical, and the one slot is taken
    assert.equal((await fetch(`${h.base}/healthz`, { method: 'HEAD' })).status, 200); // exempt
    assert.equal((await fetch(`${h.base}/sheddable`, { method: 'HEAD' })).status, 503);
    assert.equal(h.classified.length, before);
    h.gate.open();
    await held;
  });
});

describe('the server is the one Fastify would make', () => {
  test('its timeouts are kept, and a request whose headers never end gets the 408 problem', async () => {
    const h = await start();
    const server = h.app.server;
    assert.equal(server.keepAliveTimeout, 12_345);
    assert.equal(server.requestTimeout, 23_456);
    assert.equal(server.headersTimeout, 300);
    const answer = await sendRawHttp(h.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    assert.equal(answer.status, 408);
    assert.match(answer.headers['content-type'], /^application\/problem\+json/);
    assert.equal((JSON.parse(answer.body) as { type: string }).type, '/problems/request-timeout');
  });

  test("a request without Host is the problems plugin's 400, not Node's", async () => {
    const h = await start();
    const answer = await sendRawHttp(h.port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 400);
    assert.match(answer.headers['content-type'], /^application\/problem\+json/);
  });

  test('https and http2 are refused at creation', () => {
    const shedding = createLoadShedding({ limiter: createFixedConcurrencyLimit({ fixedLimit: 1 }) });
    assert.throws(() => shedding.serverFactory(() => {}, { http2: true }), /HTTP\/1 servers only/);
  });
});

describe('bad configuration fails at start', () => {
  test('a route with an unknown criticality', async () => {
    const app = Fastify();
    const shedding = createLoadShedding({ limiter: createFixedConcurrencyLimit({ fixedLimit: 1 }) });
    await app.register(shedding.plugin);
    await app.ready();
    assert.throws(
      () => app.get('/x', { config: { criticality: 'vital' as Criticality } }, async () => 'x'),
      /GET \/x: criticality must be one of critical, normal, sheddable, exempt, got vital/,
    );
    await app.close();
  });

  test('a bad default criticality or Retry-After', () => {
    const bads: Partial<LoadSheddingOptions>[] = [
      { defaultCriticality: 'high' as Criticality },
      { retryAfterS: -1 },
      { retryAfterS: 0.5 },
    ];
    for (const bad of bads)
      assert.throws(
        () => createLoadShedding({ limiter: createFixedConcurrencyLimit({ fixedLimit: 1 }), ...bad }),
        /defaultCriticality|retryAfterS/,
      );
  });
});
