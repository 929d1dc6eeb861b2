/** Closing the server lets in-flight requests finish; new ones are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOperation } from '@steadfast/toolkit/operations';
import { buildTestApp } from './testing.ts';

test('an in-flight request (a 2 s Prefer: wait) completes while the server closes', async () => {
  const app = await buildTestApp();
  const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  const op = await createOperation(app.db.pool, {
    id: 'op_00000000000000000000000001',
    tenantId: app.tenant.tenantId,
    kind: 'payment',
  });
  const started = Date.now();
  const inFlight = fetch(`${url}/v1/operations/${op.id}`, {
    headers: { authorization: `Bearer ${app.tenant.apiKey}`, prefer: 'wait=2' },
  });
  await new Promise((r) => setTimeout(r, 300)); // the request is being held
  const closing = app.close();
  const response = await inFlight;
  assert.equal(response.status, 202, 'answered, not cut off');
  assert.equal(response.headers.get('preference-applied'), 'wait=2');
  assert.ok(Date.now() - started >= 1900);
  await closing;
  await assert.rejects(fetch(`${url}/healthz`), 'no new connections after close');
});
