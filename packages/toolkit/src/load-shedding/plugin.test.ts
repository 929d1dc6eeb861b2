/**
 * The plugin on a bare Fastify app on a real port, saturated with slow
 * requests held on a gate the test opens: sheddable work goes first, critical
 * last, exempt never; slots come back after answers, aborts and errors.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { eventually } from '../testing/eventually.ts';
import { type ConcurrencyLimiter, type Criticality, createFixedConcurrencyLimit } from './limiter.ts';
import { type LoadSheddingOptions, loadShedding } from './plugin.ts';
import { loadSheddingProblems } from './problems.ts';

function createGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

interface Harness {
  app: FastifyInstance;
  base: string;
  limiter: ConcurrencyLimiter;
  registry: Registry;
  gate: ReturnType<typeof createGate>;
  arrived: { count: number };
  parsed: { count: number };
  warnings: { shed: Record<string, number> }[];
}

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) {
    h.gate.open();
    // fetch's pool keeps (and after an abort, opens) idle connections that would hold close() for its keep-alive time
    h.app.server.closeAllConnections();
    await h.app.close();
  }
  open = [];
});

async function start(options: Partial<LoadSheddingOptions> & { fixedLimit?: number } = {}): Promise<Harness> {
  const app = Fastify();
  const registry = new Registry();
  const limiter = options.limiter ?? createFixedConcurrencyLimit({ fixedLimit: options.fixedLimit ?? 4 });
  const gate = createGate();
  const arrived = { count: 0 };
  const parsed = { count: 0 };
  const warnings: Harness['warnings'] = [];
  const log = Object.assign(Object.create(app.log), {
    warn: (fields: { shed: Record<string, number> }) => warnings.push(fields),
  });
  await app.register(problems, { registry: createProblemRegistry(coreProblems, loadSheddingProblems) });
  await app.register(loadShedding, { registry, log, summaryIntervalMs: 20, ...options, limiter });
  app.addHook('preParsing', async () => {
    parsed.count++;
  });
  const slow = async () => {
    arrived.count++;
    await gate.opened;
    return { ok: true };
  };
  for (const criticality of ['critical', 'normal', 'sheddable'] as Criticality[])
    app.route({ method: ['GET', 'POST'], url: `/${criticality}`, config: { criticality }, handler: slow });
  app.get('/default', slow);
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
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const h = { app, base, limiter, registry, gate, arrived, parsed, warnings };
  open.push(h);
  return h;
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

describe('loadShedding with a fixed limit of 4 (sheddable < 2, normal < 3, critical < 4 in flight)', () => {
  test('sheddable work is refused first, critical last, exempt never; every slot comes back', async () => {
    const h = await start();
    const held = [fetch(`${h.base}/sheddable`), fetch(`${h.base}/sheddable`)];
    await inflightIs(h, 2);
    await assertOverloaded(await fetch(`${h.base}/sheddable`));

    held.push(fetch(`${h.base}/normal`));
    await inflightIs(h, 3);
    await assertOverloaded(await fetch(`${h.base}/normal`));
    await assertOverloaded(await fetch(`${h.base}/default`)); // no config → normal

    held.push(fetch(`${h.base}/critical`));
    await inflightIs(h, 4);
    await assertOverloaded(await fetch(`${h.base}/critical`));

    const health = await fetch(`${h.base}/healthz`);
    assert.equal(health.status, 200, 'exempt routes are always answered');

    assert.deepEqual(
      (await metric(h, 'steadfast_shed_requests_total')).map((v) => [v.labels.criticality, v.value]).sort(),
      [
        ['critical', 1],
        ['normal', 2],
        ['sheddable', 1],
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

  test('a refusal happens before the body is read', async () => {
    const h = await start({ fixedLimit: 1 });
    const held = fetch(`${h.base}/critical`);
    await inflightIs(h, 1);
    const before = h.parsed.count;
    const refused = await fetch(`${h.base}/sheddable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ big: 'x'.repeat(100_000) }),
    });
    await assertOverloaded(refused);
    assert.equal(h.parsed.count, before, 'no preParsing hook ran for the refused request');
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

describe('bad configuration fails at start', () => {
  test('a route with an unknown criticality', async () => {
    const app = Fastify();
    await app.register(loadShedding, { limiter: createFixedConcurrencyLimit({ fixedLimit: 1 }) });
    await app.ready();
    assert.throws(
      () => app.get('/x', { config: { criticality: 'vital' as Criticality } }, async () => 'x'),
      /GET \/x: criticality must be one of critical, normal, sheddable, exempt, got vital/,
    );
    await app.close();
  });

  test('a bad default criticality or Retry-After', async () => {
    const bads: Partial<LoadSheddingOptions>[] = [
      { defaultCriticality: 'high' as Criticality },
      { retryAfterS: -1 },
      { retryAfterS: 0.5 },
    ];
    for (const bad of bads) {
      const app = Fastify();
      app.register(loadShedding, { limiter: createFixedConcurrencyLimit({ fixedLimit: 1 }), ...bad });
      await assert.rejects(async () => await app.ready(), /defaultCriticality|retryAfterS/);
      await app.close();
    }
  });
});
