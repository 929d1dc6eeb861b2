import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { databaseErrorKind } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { registerHealthRoutes } from './health.ts';

test('a readiness check that hangs (a frozen database) is a 503 at its bound; probes share the check', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  let calls = 0;
  registerHealthRoutes(app, {
    timeoutMs: 50,
    notReadyReason: () => {
      calls++;
      return new Promise(() => {}); // never answers
    },
  });
  const [first, second] = await Promise.all([
    app.inject({ method: 'GET', url: '/readyz' }),
    app.inject({ method: 'GET', url: '/readyz' }),
  ]);
  for (const response of [first, second]) {
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().detail, 'readiness check did not answer within 50 ms');
  }
  assert.equal(calls, 1, 'the second probe waits on the check in flight instead of queueing another');
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('database errors: unreachable and timeout are unavailable; others are not', () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
  assert.equal(databaseErrorKind(coded('ECONNREFUSED')), 'unreachable');
  assert.equal(
    databaseErrorKind(coded('57P01', 'terminating connection due to administrator command')),
    'unreachable',
  );
  assert.equal(databaseErrorKind(new Error('Connection terminated unexpectedly')), 'unreachable');
  assert.equal(databaseErrorKind(coded('57014', 'canceling statement due to statement timeout')), 'timeout');
  assert.equal(databaseErrorKind(new Error('Query read timeout')), 'timeout');
  // PgBouncer's own 08P01 answers while Postgres restarts behind it (found by npm run chaos)
  assert.equal(databaseErrorKind(coded('08P01', 'server conn crashed?')), 'unreachable');
  assert.equal(
    databaseErrorKind(coded('08P01', 'server login has been failing, try again later (server_login_retry)')),
    'unreachable',
  );
  assert.equal(databaseErrorKind(coded('08P01', 'invalid message length')), undefined);
  assert.equal(databaseErrorKind(coded('23505', 'duplicate key value')), undefined);
  assert.equal(databaseErrorKind(new Error('syntax error')), undefined);
});
