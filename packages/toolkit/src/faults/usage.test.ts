/** Usage of @steadfast/toolkit/faults on a bare Fastify app: named crash points, armed by configuration. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import {
  createFaultPoints,
  FaultInjected,
  type FaultPoints,
  noFaults,
  parseFaultSpec,
} from '@steadfast/toolkit/faults';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import Fastify, { type FastifyInstance } from 'fastify';

const POINTS = ['after-debit-before-credit'];
const apps: FastifyInstance[] = [];
after(() => Promise.all(apps.map((app) => app.close())));

async function buildApp(faults: FaultPoints) {
  const ledger: string[] = [];
  const app = Fastify();
  apps.push(app);
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  // docs:start hit
  app.post('/transfers', async (_request, reply) => {
    ledger.push('debit');
    faults.hit('after-debit-before-credit'); // armed: kill → SIGKILL right here; throw → FaultInjected
    ledger.push('credit');
    return reply.code(201).send({ ok: true });
  });
  // docs:end hit
  return { app, ledger };
}

describe('fault points on a bare Fastify app', () => {
  test('unarmed, a point costs nothing and changes nothing', async () => {
    const { app, ledger } = await buildApp(noFaults);
    assert.equal((await app.inject({ method: 'POST', url: '/transfers' })).statusCode, 201);
    assert.deepEqual(ledger, ['debit', 'credit']);
  });

  test('armed with throw, the request stops between the two steps and is a 500 internal-error', async () => {
    const env = { FAULTS: 'after-debit-before-credit:throw' };
    // docs:start arm
    // env = process.env, e.g. FAULTS=after-debit-before-credit:throw (actions: kill, the default, or throw)
    // POINTS = every point your code hits: ['after-debit-before-credit']; an unknown name fails here
    const faults = createFaultPoints(parseFaultSpec(env.FAULTS, POINTS));
    // docs:end arm
    assert.equal(faults.armed('after-debit-before-credit'), true);
    assert.throws(() => faults.hit('after-debit-before-credit'), FaultInjected);
    const { app, ledger } = await buildApp(faults);
    const response = await app.inject({ method: 'POST', url: '/transfers' });
    assert.equal(response.statusCode, 500);
    const body = response.json();
    assert.equal(body.type, '/problems/internal-error');
    assert.equal(body.category, 'internal');
    assert.equal(body.retryable, false);
    assert.deepEqual(ledger, ['debit']);
  });

  test('armed with kill, the injected kill runs at the point (a crash harness can stand in for SIGKILL)', async () => {
    let killed = 0;
    const faults = createFaultPoints(parseFaultSpec('after-debit-before-credit', POINTS), () => {
      killed++;
      throw new Error('the process would be dead here');
    });
    const { app, ledger } = await buildApp(faults);
    assert.equal((await app.inject({ method: 'POST', url: '/transfers' })).statusCode, 500);
    assert.equal(killed, 1);
    assert.deepEqual(ledger, ['debit']);
  });

  test('armed with kill by default, a real process dies by SIGKILL exactly at the point', () => {
    const script = `
      import { writeSync } from 'node:fs';
      import { createFaultPoints, parseFaultSpec } from '@steadfast/toolkit/faults';
      const faults = createFaultPoints(parseFaultSpec(process.env.FAULTS, ['after-debit-before-credit']));
      writeSync(1, 'debit\\n');
      faults.hit('after-debit-before-credit');
      writeSync(1, 'credit\\n');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, FAULTS: 'after-debit-before-credit' },
      encoding: 'utf8',
    });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.equal(child.stdout, 'debit\n');
  });
});

describe('parsing a fault spec', () => {
  test('an unknown point or action fails at start, naming what is known', () => {
    assert.throws(
      () => parseFaultSpec('after-debit-before-credi', POINTS),
      /unknown fault point "after-debit-before-credi" \(known: after-debit-before-credit\)/,
    );
    assert.throws(() => parseFaultSpec('after-debit-before-credit:explode', POINTS), /unknown fault action/);
    assert.throws(() => parseFaultSpec('anything', []), /known: none/);
    assert.throws(() => parseFaultSpec('after-debit-before-credit:throw:x', POINTS), /name or name:action/);
    assert.throws(
      () => parseFaultSpec('after-debit-before-credit,after-debit-before-credit:throw', POINTS),
      /armed twice/,
    );
  });

  test('empty or absent specs arm nothing; spaces and several points are fine', () => {
    assert.equal(parseFaultSpec(undefined, POINTS).size, 0);
    assert.equal(parseFaultSpec(' , ', POINTS).size, 0);
    const armed = parseFaultSpec(' a:throw , b ', ['a', 'b', 'c']);
    assert.deepEqual(
      [...armed],
      [
        ['a', 'throw'],
        ['b', 'kill'],
      ],
    );
    const faults = createFaultPoints(armed);
    assert.equal(faults.armed('c'), false);
    faults.hit('c'); // unarmed: nothing happens
    assert.equal(noFaults.armed('a'), false);
  });
});
