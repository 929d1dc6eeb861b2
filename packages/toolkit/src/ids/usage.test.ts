/** Usage of @steadfast/toolkit/ids on a bare Fastify app: prefixed, sortable ids, validated in routes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createIdGenerator, createRandomPool, idPattern } from '@steadfast/toolkit/ids';
import {
  coreProblems,
  createProblemRegistry,
  installValidators,
  ProblemError,
  problems,
} from '@steadfast/toolkit/problems';
import { createFakeClock } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

const clock = createFakeClock(Date.UTC(2026, 0, 1));
let app: FastifyInstance;

before(async () => {
  app = Fastify();
  installValidators(app);
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  // docs:start route
  const ids = createIdGenerator({ clock }); // clock: { now(): number }, e.g. { now: () => Date.now() }
  const invoices = new Map<string, { id: string }>();

  app.post('/invoices', async (_request, reply) => {
    const invoice = { id: ids.next('inv') }; // e.g. inv_01kdvdna0054w4kqjv8qgz45cr
    invoices.set(invoice.id, invoice);
    return reply.code(201).send(invoice);
  });

  app.get<{ Params: { id: string } }>(
    '/invoices/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: idPattern('inv') } } },
      },
    },
    async (request) => {
      const invoice = invoices.get(request.params.id);
      if (!invoice) throw new ProblemError('not-found', { detail: `No invoice ${request.params.id}.` });
      return invoice;
    },
  );
  // docs:end route
});
after(() => app.close());

const create = async () => (await app.inject({ method: 'POST', url: '/invoices' })).json().id as string;

describe('ids on a bare Fastify app', () => {
  test('a created id matches its pattern and reads back', async () => {
    const id = await create();
    assert.match(id, new RegExp(idPattern('inv')));
    const read = await app.inject({ method: 'GET', url: `/invoices/${id}` });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().id, id);
  });

  test('ids sort by creation time, and strictly within one millisecond', async () => {
    const made: string[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 0) clock.advance(1);
      made.push(await create());
    }
    assert.deepEqual([...made].sort(), made);
    assert.equal(new Set(made).size, made.length);
  });

  test('an id of the wrong shape is a 400 validation-failed on the path, before the handler', async () => {
    const valid = await create();
    for (const bad of ['inv_123', `ord_${valid.slice(4)}`, valid.toUpperCase(), `${valid}x`]) {
      const response = await app.inject({ method: 'GET', url: `/invoices/${bad}` });
      assert.equal(response.statusCode, 400, bad);
      const body = response.json();
      assert.equal(body.type, '/problems/validation-failed');
      assert.equal(body.category, 'validation');
      assert.equal(body.retryable, false);
      assert.equal(body.errors[0].pointer, '/id');
      assert.equal(body.errors[0].in, 'path');
    }
  });

  test('a well-formed id that does not exist is a 404 problem', async () => {
    const unknown = createIdGenerator({ clock }).next('inv');
    const response = await app.inject({ method: 'GET', url: `/invoices/${unknown}` });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().type, '/problems/not-found');
  });
});

describe('the generator', () => {
  test('a clock that goes backwards does not break the order', () => {
    const backwards = createFakeClock(10_000);
    const ids = createIdGenerator({ clock: backwards });
    const first = ids.next('evt');
    backwards.set(5_000);
    assert.ok(ids.next('evt') > first);
  });

  test('randomness is injected; the first 10 characters are the time', () => {
    const zeros = () => Buffer.alloc(10, 0);
    const a = createIdGenerator({ clock: createFakeClock(0), random: zeros }).next('op');
    assert.equal(a, 'op_00000000000000000000000000');
    const later = createIdGenerator({ clock: createFakeClock(1), random: zeros }).next('op');
    assert.equal(later, 'op_00000000010000000000000000');
  });

  test('a prefix is lowercase letters and digits', () => {
    const ids = createIdGenerator();
    for (const bad of ['Ord', '', 'a.b', '1x']) {
      assert.throws(() => ids.next(bad), /id prefix/);
      assert.throws(() => idPattern(bad), /id prefix/);
    }
  });

  test('the random pool hands out fresh bytes, larger requests included', () => {
    const random = createRandomPool(32);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(random(10).toString('hex'));
    assert.equal(seen.size, 20);
    assert.equal(random(64).length, 64);
  });
});
