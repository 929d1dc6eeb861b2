/**
 * A small "widgets" API with an OpenAPI document (fake-api-spec.ts), for
 * testing the checker: correct by default, with exactly one fault switched
 * on by name. Widgets are created, read, updated (If-Match), exported (202 +
 * a job to poll) and archived; keyed POSTs take ~15 ms, so a storm of them
 * sees 409 "in flight"; more than 4 concurrent lists are rate-limited.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { fakeSpec } from './fake-api-spec.ts';

export type Fault =
  | 'race'
  | 'unscoped-keys'
  | 'raw-fingerprint'
  | 'patch-ignores-if-match'
  | 'text-errors'
  | 'malformed-json-500'
  | 'unknown-fields-accepted'
  | 'missing-key-accepted'
  | 'global-keys'
  | 'reuse-417'
  | 'stores-failures'
  | 'optional-key'
  | 'unknown-key-accepted'
  | 'archived-writable'
  | 'lro-no-retry-after'
  | 'lro-never-finishes'
  | 'no-retry-after'
  | 'rate-limit-sticky'
  | 'auth-ignored'
  | 'lro-error-not-problem'
  | 'prefer-wait-lies'
  | 'dies';

interface Widget {
  id: string;
  tenant: string;
  name: string;
  size: number;
  status: 'active' | 'archived';
  version: number;
}
interface Job {
  id: string;
  tenant: string;
  status: 'running' | 'succeeded' | 'failed';
  polls: number;
}
type Stored = { fingerprint: string; status: number; body: string; type: string };

const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeApi(fault?: Fault) {
  const app = Fastify();
  const widgets = new Map<string, Widget>();
  const jobs = new Map<string, Job>();
  const keys = new Map<string, Stored | 'pending'>();
  let n = 0;
  let requests = 0;
  let listing = 0;
  let limitedUntil = 0;
  const problemText = (status: number, title: string) =>
    JSON.stringify({ type: `/problems/${status}`, title, status });
  const fail = (reply: FastifyReply, status: number, title: string) =>
    fault === 'text-errors'
      ? reply.code(status).type('text/plain').send(title)
      : reply.code(status).type('application/problem+json').send(problemText(status, title));
  app.setErrorHandler((_error, _request, reply) => fail(reply, 500, 'internal error'));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  app.get('/openapi.json', async () => fakeSpec(fault));
  const known = /^Bearer (tenant-[a-z]-key|k\d+)$/;
  app.addHook('onRequest', async (request, reply) => {
    if (fault === 'dies' && ++requests > 40) return request.raw.socket.destroy();
    if (request.url === '/openapi.json' || fault === 'auth-ignored') return;
    const auth = request.headers.authorization ?? '';
    if (!(fault === 'unknown-key-accepted' ? /^Bearer \S+$/ : known).test(auth))
      return fail(reply, 401, 'unauthorized');
  });
  const tenantOf = (request: FastifyRequest) => (request.headers.authorization ?? '').slice(7);
  const view = ({ tenant: _t, ...rest }: Widget) => rest;
  const parse = (
    raw: unknown,
    reply: FastifyReply,
    partial: boolean,
  ): { name?: string; size?: number } | undefined => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(String(raw ?? ''));
    } catch {
      if (fault === 'malformed-json-500') throw new Error('boom');
      fail(reply, 400, 'malformed json');
      return undefined;
    }
    const okName =
      body?.name === undefined
        ? partial
        : typeof body.name === 'string' && body.name.length >= 1 && body.name.length <= 50;
    const okSize =
      body?.size === undefined
        ? partial
        : Number.isInteger(body.size) && (body.size as number) >= 1 && (body.size as number) <= 10;
    const extra =
      Object.keys(body ?? {}).some((k) => !['name', 'size'].includes(k)) &&
      fault !== 'unknown-fields-accepted';
    if (!body || typeof body !== 'object' || Array.isArray(body) || !okName || !okSize || extra) {
      fail(reply, 400, 'invalid');
      return undefined;
    }
    return body as { name?: string; size?: number };
  };
  /** the idempotency layer every keyed POST goes through: scope tenant + route + key, fingerprint params + body */
  const keyed = async (
    request: FastifyRequest,
    reply: FastifyReply,
    body: unknown,
    work: () => { status: number; body: string; type?: string; headers?: Record<string, string> },
  ) => {
    const key = request.headers['idempotency-key'] as string | undefined;
    const optional = fault === 'optional-key' || fault === 'missing-key-accepted';
    if (!key && !optional) return fail(reply, 400, 'Idempotency-Key required');
    const route = request.routeOptions.url;
    const tenant = tenantOf(request);
    const scoped =
      fault === 'unscoped-keys'
        ? `${route}:${key}`
        : fault === 'global-keys'
          ? `${tenant}:${key}`
          : `${tenant}:${route}:${key}`;
    const fingerprint = createHash('sha256')
      .update(`${request.url} ${fault === 'raw-fingerprint' ? String(request.body ?? '') : canonical(body)}`)
      .digest('hex');
    const send = (s: { status: number; body: string; type?: string; headers?: Record<string, string> }) =>
      reply
        .code(s.status)
        .headers(s.headers ?? {})
        .type(s.type ?? 'application/json')
        .send(s.body);
    if (key) {
      const seen = keys.get(scoped);
      if (seen === 'pending') {
        if (fault === 'stores-failures')
          keys.set(scoped, {
            fingerprint,
            status: 409,
            body: problemText(409, 'in flight'),
            type: 'application/problem+json',
          });
        return fail(reply, 409, 'in flight');
      }
      if (seen)
        return seen.fingerprint === fingerprint
          ? reply.code(seen.status).type(seen.type).header('idempotent-replayed', 'true').send(seen.body)
          : fail(reply, fault === 'reuse-417' ? 417 : 422, 'key reused');
      if (fault === 'race')
        await sleep(30); // check, then act: the classic race
      else {
        keys.set(scoped, 'pending');
        await sleep(15);
      }
    }
    const result = work();
    const current = key ? keys.get(scoped) : undefined;
    // a server that stores failures keeps the 409 it answered meanwhile, and replays it
    if (key && !(fault === 'stores-failures' && current && current !== 'pending'))
      keys.set(scoped, {
        fingerprint,
        status: result.status,
        body: result.body,
        type: result.type ?? 'application/json',
      });
    return send(result);
  };
  app.get('/widgets', async (request, reply) => {
    if (listing >= 4 || Date.now() < limitedUntil) {
      if (fault === 'rate-limit-sticky' && !limitedUntil) limitedUntil = Date.now() + 3000; // longer than it says
      const headers: Record<string, string> = { 'ratelimit-remaining': '0' };
      if (fault !== 'no-retry-after') headers['retry-after'] = '1';
      return fail(reply.headers(headers), 429, 'slow down');
    }
    listing++;
    await sleep(10); // long enough for a burst to overlap, even on a busy machine
    listing--;
    return {
      data: [...widgets.values()].filter((w) => w.tenant === tenantOf(request)).map(view),
      nextCursor: null,
    };
  });
  const mine = (request: FastifyRequest<{ Params: { id: string } }>) => {
    const w = widgets.get(request.params.id);
    return w && w.tenant === tenantOf(request) ? w : undefined;
  };
  app.get<{ Params: { id: string } }>('/widgets/:id', async (request, reply) => {
    const w = mine(request);
    if (!w) return fail(reply, 404, 'not found');
    return reply.header('etag', `"${w.version}"`).send(view(w));
  });
  app.post('/widgets', async (request, reply) => {
    const body = parse(request.body, reply, false);
    if (!body) return reply;
    return keyed(request, reply, body, () => {
      const w: Widget = {
        id: `w${++n}`,
        tenant: tenantOf(request),
        name: body.name as string,
        size: body.size as number,
        status: 'active',
        version: 1,
      };
      widgets.set(w.id, w);
      return { status: 201, body: JSON.stringify(view(w)), headers: { location: `/widgets/${w.id}` } };
    });
  });
  app.patch<{ Params: { id: string } }>('/widgets/:id', async (request, reply) => {
    const w = mine(request);
    if (!w) return fail(reply, 404, 'not found');
    const ifMatch = request.headers['if-match'];
    if (fault !== 'patch-ignores-if-match') {
      if (!ifMatch) return fail(reply, 428, 'If-Match required');
      if (ifMatch !== `"${w.version}"` && ifMatch !== '*') return fail(reply, 412, 'stale');
    }
    if (w.status === 'archived' && fault !== 'archived-writable') return fail(reply, 409, 'archived');
    const body = parse(request.body, reply, true);
    if (!body) return reply;
    Object.assign(w, body, { version: w.version + 1 });
    return reply.header('etag', `"${w.version}"`).send(view(w));
  });
  const problemResult = (status: number, title: string) =>
    fault === 'text-errors'
      ? { status, body: title, type: 'text/plain' }
      : { status, body: problemText(status, title), type: 'application/problem+json' };
  app.post<{ Params: { id: string } }>('/widgets/:id/archive', async (request, reply) =>
    keyed(request, reply, { id: request.params.id }, () => {
      const w = mine(request);
      if (!w) return problemResult(404, 'not found');
      if (w.status === 'archived') return problemResult(409, 'already archived');
      Object.assign(w, { status: 'archived', version: w.version + 1 });
      return { status: 200, body: JSON.stringify(view(w)) };
    }),
  );
  app.post<{ Params: { id: string } }>('/widgets/:id/export', async (request, reply) =>
    keyed(request, reply, { id: request.params.id }, () => {
      const w = mine(request);
      if (!w) return problemResult(404, 'not found');
      if (w.status === 'archived') return problemResult(409, 'archived');
      const job: Job = { id: `j${++n}`, tenant: w.tenant, status: 'running', polls: 0 };
      jobs.set(job.id, job);
      const headers: Record<string, string> = { location: `/jobs/${job.id}` };
      if (fault !== 'lro-no-retry-after') headers['retry-after'] = '0';
      // Prefer: wait is ignored, honestly (no Preference-Applied) — unless the fault claims it waited
      if (fault === 'prefer-wait-lies' && /wait=/.test(String(request.headers.prefer)))
        headers['preference-applied'] = 'wait=1';
      return { status: 202, body: JSON.stringify({ id: job.id, status: job.status }), headers };
    }),
  );
  app.get('/jobs', async (request) => ({
    data: [...jobs.values()]
      .filter((j) => j.tenant === tenantOf(request))
      .map((j) => ({ id: j.id, status: j.status })),
    nextCursor: null,
  }));
  app.get<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
    const job = jobs.get(request.params.id);
    if (!job || job.tenant !== tenantOf(request)) return fail(reply, 404, 'not found');
    if (++job.polls >= 2 && fault !== 'lro-never-finishes')
      job.status = fault === 'lro-error-not-problem' ? 'failed' : 'succeeded';
    return { id: job.id, status: job.status, ...(job.status === 'failed' ? { error: 'export broke' } : {}) };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}
