/** renderInVersion: an answer rendered in the request's version once (what an idempotency engine stores) is not translated again on the way out. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { apiVersioning, renderInVersion } from './plugin.ts';
import { versioningProblems } from './problems.ts';
import { defineApiVersions } from './versions.ts';

// a change that counts how often it ran: translating twice would show 2
const versions = defineApiVersions({
  versions: ['2026-06-01', '2026-12-01'],
  changes: [
    {
      version: '2026-12-01',
      description: 'counts its runs',
      routes: ['GET /rendered', 'GET /plain'],
      response: (body) => ({ ...body, translated: (body.translated ?? 0) + 1 }),
    },
  ],
});
let app: FastifyInstance;
before(async () => {
  app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, versioningProblems) });
  await app.register(apiVersioning, { versions });
  const render = renderInVersion(versions);
  app.get('/rendered', async (request, reply) =>
    reply
      .type('application/json')
      .send(Buffer.from(JSON.stringify(render(request, { status: 200, body: { id: 'x' } })))),
  );
  app.get('/plain', async (_request, reply) =>
    reply.type('application/json').send(Buffer.from('{"id":"x"}')),
  );
  await app.ready();
});
after(() => app.close());

test('rendered once by the handler: sent as it is; a plain answer is translated by onSend; the newest is untouched', async () => {
  const old = { 'steadfast-version': '2026-06-01' };
  const rendered = await app.inject({ method: 'GET', url: '/rendered', headers: old });
  assert.deepEqual(rendered.json(), { id: 'x', translated: 1 });
  assert.equal(rendered.headers['steadfast-version'], '2026-06-01');
  const plain = await app.inject({ method: 'GET', url: '/plain', headers: old });
  assert.deepEqual(plain.json(), { id: 'x', translated: 1 });
  const newest = await app.inject({
    method: 'GET',
    url: '/rendered',
    headers: { 'steadfast-version': '2026-12-01' },
  });
  assert.deepEqual(newest.json(), { id: 'x' });
});
