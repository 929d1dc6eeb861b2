/**
 * A small "widgets" API with an OpenAPI document, for testing the checker:
 * correct by default, with exactly one fault switched on by name.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';

export type Fault =
  | 'race'
  | 'unscoped-keys'
  | 'raw-fingerprint'
  | 'patch-ignores-if-match'
  | 'text-errors'
  | 'malformed-json-500'
  | 'unknown-fields-accepted'
  | 'missing-key-accepted';

interface Widget {
  id: string;
  tenant: string;
  name: string;
  size: number;
  version: number;
}

const problem = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' } },
};
const widget = {
  type: 'object',
  required: ['id', 'name', 'size', 'version'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    size: { type: 'integer' },
    version: { type: 'integer' },
  },
};
const input = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'size'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 50 },
    size: { type: 'integer', minimum: 1, maximum: 10 },
  },
};

function spec(fault?: Fault) {
  const errorType = fault === 'text-errors' ? 'text/plain' : 'application/problem+json';
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((c) => [
        String(c),
        {
          description: 'error',
          content: { [errorType]: { schema: fault === 'text-errors' ? { type: 'string' } : problem } },
        },
      ]),
    );
  const json = (schema: object) => ({ 'application/json': { schema } });
  return {
    openapi: '3.1.0',
    info: { title: 'widgets', version: '1' },
    paths: {
      '/widgets': {
        get: {
          responses: {
            200: {
              description: 'list',
              content: json({
                type: 'object',
                properties: {
                  data: { type: 'array', items: widget },
                  nextCursor: { type: ['string', 'null'] },
                },
              }),
            },
            ...errors(400, 401),
          },
        },
        post: {
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: json(input) },
          responses: {
            201: { description: 'created', content: json(widget) },
            ...errors(400, 401, 409, 422, 500),
          },
        },
      },
      '/widgets/{id}': {
        get: {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'one', content: json(widget) }, ...errors(401, 404) },
        },
        patch: {
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'If-Match', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json({ ...input, required: [] }) },
          responses: {
            200: { description: 'updated', content: json(widget) },
            ...errors(400, 401, 404, 412, 428, 500),
          },
        },
      },
    },
  };
}

const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

export async function startFakeApi(fault?: Fault) {
  const app = Fastify();
  const widgets = new Map<string, Widget>();
  const keys = new Map<string, { fingerprint: string; status: number; body: string } | 'pending'>();
  let n = 0;
  const fail = (reply: FastifyReply, status: number, title: string) =>
    fault === 'text-errors'
      ? reply.code(status).type('text/plain').send(title)
      : reply
          .code(status)
          .type('application/problem+json')
          .send(JSON.stringify({ type: `/problems/${status}`, title, status }));
  app.setErrorHandler((_error, _request, reply) => fail(reply, 500, 'internal error'));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  app.get('/openapi.json', async () => spec(fault));
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/openapi.json') return;
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) return fail(reply, 401, 'unauthorized');
  });
  const tenantOf = (h: string | undefined) => (h ?? '').slice(7);
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
    const known = ['name', 'size'];
    const okName =
      body.name === undefined
        ? partial
        : typeof body.name === 'string' && body.name.length >= 1 && body.name.length <= 50;
    const okSize =
      body.size === undefined
        ? partial
        : Number.isInteger(body.size) && (body.size as number) >= 1 && (body.size as number) <= 10;
    const extra = Object.keys(body).some((k) => !known.includes(k)) && fault !== 'unknown-fields-accepted';
    if (!body || typeof body !== 'object' || Array.isArray(body) || !okName || !okSize || extra) {
      fail(reply, 400, 'invalid');
      return undefined;
    }
    return body as { name?: string; size?: number };
  };
  app.get('/widgets', async (request) => ({
    data: [...widgets.values()]
      .filter((w) => w.tenant === tenantOf(request.headers.authorization))
      .map(({ tenant: _t, ...w }) => w),
    nextCursor: null,
  }));
  app.get<{ Params: { id: string } }>('/widgets/:id', async (request, reply) => {
    const w = widgets.get(request.params.id);
    if (!w || w.tenant !== tenantOf(request.headers.authorization)) return fail(reply, 404, 'not found');
    const { tenant: _t, ...rest } = w;
    return reply.header('etag', `"${w.version}"`).send(rest);
  });
  app.post('/widgets', async (request, reply) => {
    const key = request.headers['idempotency-key'] as string | undefined;
    if (!key && fault !== 'missing-key-accepted') return fail(reply, 400, 'Idempotency-Key required');
    const body = parse(request.body, reply, false);
    if (!body) return reply;
    const tenant = tenantOf(request.headers.authorization);
    const scoped = fault === 'unscoped-keys' ? `POST:${key}` : `${tenant}:POST:${key}`;
    const fingerprint = createHash('sha256')
      .update(fault === 'raw-fingerprint' ? String(request.body) : canonical(body))
      .digest('hex');
    if (key) {
      const seen = keys.get(scoped);
      if (seen === 'pending') return fail(reply, 409, 'in flight');
      if (seen)
        return seen.fingerprint === fingerprint
          ? reply.code(seen.status).type('application/json').send(seen.body)
          : fail(reply, 422, 'key reused');
      if (fault === 'race')
        await new Promise((r) => setTimeout(r, 100)); // check, then act: the classic race
      else keys.set(scoped, 'pending');
    }
    const w: Widget = {
      id: `w${++n}`,
      tenant,
      name: body.name as string,
      size: body.size as number,
      version: 1,
    };
    widgets.set(w.id, w);
    const { tenant: _t, ...out } = w;
    const text = JSON.stringify(out);
    if (key) keys.set(scoped, { fingerprint, status: 201, body: text });
    return reply.code(201).type('application/json').send(text);
  });
  app.patch<{ Params: { id: string } }>('/widgets/:id', async (request, reply) => {
    const w = widgets.get(request.params.id);
    if (!w || w.tenant !== tenantOf(request.headers.authorization)) return fail(reply, 404, 'not found');
    const ifMatch = request.headers['if-match'];
    if (fault !== 'patch-ignores-if-match') {
      if (!ifMatch) return fail(reply, 428, 'If-Match required');
      if (ifMatch !== `"${w.version}"` && ifMatch !== '*') return fail(reply, 412, 'stale');
    }
    const body = parse(request.body, reply, true);
    if (!body) return reply;
    Object.assign(w, body, { version: w.version + 1 });
    const { tenant: _t, ...out } = w;
    return reply.header('etag', `"${w.version}"`).send(out);
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}
