/**
 * Reading a resource back from outside: the resource a request acts on (by
 * its template), its ETag, and how many items a collection holds (following
 * `nextCursor` pages).
 */
import type { Response } from './client.ts';
import type { CheckContext } from './context.ts';
import type { Operation } from './spec.ts';

/** the items of a list answer: an array, or `{ data | items | results: [...] }` */
export function itemsOf(json: unknown): unknown[] | undefined {
  if (Array.isArray(json)) return json;
  const body = json as Record<string, unknown> | undefined;
  const items = body?.data ?? body?.items ?? body?.results;
  return Array.isArray(items) ? items : undefined;
}

/** `/v1/orders/x/submit` → `/v1/orders/x`; `/v1/orders/x` stays. */
export function resourcePathOf(path: string): string {
  const clean = path.split('?')[0];
  const parts = clean.split('/');
  return parts.length > 4 ? parts.slice(0, 4).join('/') : clean;
}

/** the resource an operation's request acts on (`/things/{id}/approve` → `/things/x`), by its template */
export function resourceOf(op: Operation, path: string): string {
  const clean = path.split('?')[0];
  const index = op.path.indexOf('}');
  if (index === -1) return clean;
  const depth = op.path.slice(0, index + 1).split('/').length;
  return clean.split('/').slice(0, depth).join('/');
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
    const body = response.json as { nextCursor?: string | null } | unknown[];
    const items = itemsOf(body);
    if (!Array.isArray(items)) return undefined;
    count += items.length;
    cursor = Array.isArray(body) ? null : (body.nextCursor ?? null);
    if (!cursor) return count;
  }
  return count;
}
