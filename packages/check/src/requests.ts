/**
 * Building real requests for an operation: resources for `{id}` created
 * through the API itself (the collection's POST), required query parameters
 * and headers, a valid body — and measuring effects from outside.
 */
import { randomUUID } from 'node:crypto';
import type { RequestSpec, Response } from './client.ts';
import type { CheckContext } from './context.ts';
import type { Operation } from './spec.ts';

export class NotApplicable extends Error {
  override name = 'NotApplicable';
}

export function collectionOf(op: Operation): string {
  const index = op.path.indexOf('/{');
  return index === -1 ? op.path : op.path.slice(0, index);
}

const created = new WeakMap<CheckContext, Map<string, string>>();

/** A fresh resource of the operation's collection (or a cached one); its id. */
export async function createResource(
  ctx: CheckContext,
  collection: string,
  fresh = true,
  apiKey?: string,
): Promise<string> {
  const cache = created.get(ctx) ?? new Map<string, string>();
  created.set(ctx, cache);
  if (!fresh && cache.has(collection)) return cache.get(collection) as string;
  const creator = ctx.operations.find((o) => o.method === 'POST' && o.path === collection);
  if (!creator?.body) throw new NotApplicable(`no POST ${collection} to create the resource with`);
  const response = await ctx.client.send({
    method: 'POST',
    path: collection,
    headers: { 'idempotency-key': randomUUID() },
    body: JSON.stringify(ctx.validSample(creator.body.schema)),
    apiKey,
  });
  const id = (response.json as { id?: unknown } | undefined)?.id;
  if (response.status >= 300 || typeof id !== 'string')
    throw new NotApplicable(`creating a resource at ${collection} answered ${response.status}`);
  cache.set(collection, id);
  return id;
}

export async function buildRequest(
  ctx: CheckContext,
  op: Operation,
  options: { freshResource?: boolean } = {},
): Promise<RequestSpec> {
  let path = op.path;
  if (op.pathParams.length > 1) throw new NotApplicable('more than one path parameter');
  if (op.pathParams.length === 1) {
    const id = await createResource(ctx, collectionOf(op), options.freshResource ?? false);
    path = path.replace(`{${op.pathParams[0]}}`, encodeURIComponent(id));
  }
  const query = op.query
    .filter((q) => q.required)
    .map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(ctx.validSample(q.schema)))}`);
  if (query.length) path += `?${query.join('&')}`;
  const headers: Record<string, string> = {};
  if (op.requiredHeaders.includes('idempotency-key')) headers['idempotency-key'] = randomUUID();
  if (op.requiredHeaders.includes('if-match'))
    headers['if-match'] = (await etagOf(ctx, resourcePathOf(path))) ?? '*';
  if (op.body) headers['content-type'] = op.body.contentType;
  return {
    method: op.method,
    path,
    headers,
    body: op.body ? JSON.stringify(ctx.validSample(op.body.schema)) : undefined,
  };
}

/** `/v1/orders/x/submit` → `/v1/orders/x`; `/v1/orders/x` stays. */
export function resourcePathOf(path: string): string {
  const clean = path.split('?')[0];
  const parts = clean.split('/');
  return parts.length > 4 ? parts.slice(0, 4).join('/') : clean;
}

export async function etagOf(
  ctx: CheckContext,
  resourcePath: string,
  apiKey?: string,
): Promise<string | undefined> {
  const response = await ctx.client.send({ method: 'GET', path: resourcePath, apiKey });
  return response.status === 200 ? response.headers.etag : undefined;
}

/** How many items the collection has, following `nextCursor` pages. */
export async function countCollection(
  ctx: CheckContext,
  collection: string,
  apiKey?: string,
): Promise<number | undefined> {
  if (!ctx.operations.some((o) => o.method === 'GET' && o.path === collection)) return undefined;
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const response: Response = await ctx.client.send({
      method: 'GET',
      path: cursor ? `${collection}?cursor=${encodeURIComponent(cursor)}` : collection,
      apiKey,
    });
    if (response.status !== 200) return undefined;
    const body = response.json as { data?: unknown[]; nextCursor?: string | null } | unknown[];
    const items = Array.isArray(body) ? body : body?.data;
    if (!Array.isArray(items)) return undefined;
    count += items.length;
    cursor = Array.isArray(body) ? null : (body.nextCursor ?? null);
    if (!cursor) return count;
  }
  return count;
}
