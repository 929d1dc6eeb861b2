/** overQuotaProbe: the gate's look at whether a raw request's tenant is over its quota (nothing spent, no lookup). */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, test } from 'node:test';
import { createApiKeyVerifier, createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator, systemClock } from '@steadfast/toolkit/ids';
import { createRateLimiter } from '@steadfast/toolkit/rate-limits';
import { createTestDatabase } from '@steadfast/toolkit/testing';
import { overQuotaProbe } from './traffic.ts';

const db = await createTestDatabase();
after(() => db.close());

const raw = (method: string, url: string, key?: string) =>
  ({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {} }) as unknown as IncomingMessage;

test('true only for a known, cached key whose tenant has spent its quota for that class', async () => {
  const ids = createIdGenerator();
  const a = await createTenant(db.pool, ids, { name: 'A' });
  const b = await createTenant(db.pool, ids, { name: 'B' });
  const verifier = createApiKeyVerifier({ db: db.pool, clock: systemClock });
  const limiter = createRateLimiter({
    policies: {
      writes: { limit: 1, windowS: 3600 },
      reads: { limit: 5, windowS: 3600 },
      'long-polls': { limit: 1, windowS: 3600 },
    },
    clock: systemClock,
  });
  const probe = overQuotaProbe(verifier, limiter);
  await verifier.verify(a.apiKey);
  await verifier.verify(b.apiKey);
  assert.equal(probe(raw('POST', '/v1/orders', a.apiKey)), false, 'nothing spent yet');
  assert.equal(limiter.take(a.tenantId, 'writes').allowed, true);
  assert.equal(probe(raw('POST', '/v1/orders', a.apiKey)), true, "A's writes are spent");
  assert.equal(probe(raw('POST', '/v1/orders', a.apiKey)), true, 'looking spends nothing');
  assert.equal(probe(raw('GET', '/v1/orders', a.apiKey)), false, 'reads are another class');
  assert.equal(probe(raw('POST', '/v1/orders', b.apiKey)), false, 'another tenant');
  assert.equal(probe(raw('POST', '/webhooks/payments', a.apiKey)), false, 'not under /v1');
  assert.equal(probe(raw('POST', '/v1/orders')), false, 'no key');
  const lookups = verifier.lookups();
  assert.equal(probe(raw('POST', '/v1/orders', 'sf_an_unknown_key_never_looked_up_0000')), false);
  assert.equal(verifier.lookups(), lookups, 'an uncached key costs no lookup');
  assert.equal(overQuotaProbe(verifier, undefined)(raw('POST', '/v1/orders', a.apiKey)), false, 'no limits');
});
