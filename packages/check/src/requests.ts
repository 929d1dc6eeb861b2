/**
 * Building real requests for an operation: resources for `{id}` created
 * through the API itself (the collection's POST) or found (its list, a
 * `Location` the target named), brought into the state an action needs by the
 * actions before it (a prelude, found once per action), required query
 * parameters and headers, a valid body.
 */
import { randomUUID } from 'node:crypto';
import type { RequestSpec } from './client.ts';
import type { CheckContext } from './context.ts';
import { etagOf, itemsOf, resourceOf } from './resource-reads.ts';
import type { Operation } from './spec.ts';

export { countCollection, etagOf, itemsOf, resourceOf, resourcePathOf } from './resource-reads.ts';

export class NotApplicable extends Error {
  override name = 'NotApplicable';
}

export function collectionOf(op: Operation): string {
  const index = op.path.indexOf('/{');
  return index === -1 ? op.path : op.path.slice(0, index);
}

/** `POST /things/{id}/approve` is an action: a POST below one resource */
export function isAction(op: Operation): boolean {
  return op.method === 'POST' && op.pathParams.length === 1 && !op.path.endsWith('}');
}

/** the operations that act on the same resource as `op` (its collection's actions) */
export function actionsOf(ctx: CheckContext, op: Operation): Operation[] {
  const collection = collectionOf(op);
  return ctx.operations.filter((o) => isAction(o) && collectionOf(o) === collection);
}

interface Registry {
  created: Map<string, string>;
  /** action id → the actions that bring a fresh resource into a state it accepts (null: none found) */
  preludes: Map<string, Operation[] | null>;
  producersRan: boolean;
  /** existing items a fresh request already used (acting on one may use it up) */
  used: Set<string>;
}
const registries = new WeakMap<CheckContext, Registry>();
function registry(ctx: CheckContext): Registry {
  let r = registries.get(ctx);
  if (!r) {
    r = { created: new Map(), preludes: new Map(), producersRan: false, used: new Set() };
    registries.set(ctx, r);
  }
  return r;
}

const idOf = (json: unknown): string | undefined => {
  const id = (json as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
};

/** an id the target itself named: in a `Location` under the collection, or in its list */
async function findExisting(
  ctx: CheckContext,
  collection: string,
  apiKey?: string,
  fresh = false,
): Promise<string | undefined> {
  const used = registry(ctx).used;
  const take = (id: string | undefined) => {
    if (id) used.add(`${collection}/${id}`);
    return id;
  };
  const pattern = new RegExp(`^${collection.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^/?#]+)$`);
  const fromLocation = () => {
    for (const location of [...ctx.locations].reverse()) {
      const match = pattern.exec(location);
      if (match) return decodeURIComponent(match[1]);
    }
    return undefined;
  };
  if (!apiKey && !fresh && fromLocation()) return fromLocation();
  if (ctx.operations.some((o) => o.method === 'GET' && o.path === collection)) {
    const list = await ctx.client.send({ method: 'GET', path: collection, apiKey });
    const ids = list.status === 200 ? (itemsOf(list.json)?.map(idOf) ?? []) : [];
    const first = ids.find((id) => id && (!fresh || !used.has(`${collection}/${id}`)));
    if (first) return take(first);
  }
  return apiKey || fresh ? undefined : fromLocation();
}

/** Operations that answer 202: running one names a new resource in its `Location` (an operation to poll). */
async function runProducers(ctx: CheckContext): Promise<void> {
  const reg = registry(ctx);
  if (reg.producersRan) return;
  reg.producersRan = true;
  for (const op of ctx.operations.filter((o) => o.method === 'POST' && o.responses['202'])) {
    try {
      const request = await buildRequest(ctx, op, { freshResource: true });
      await ctx.client.send(request);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  }
}

/** A fresh resource of the collection (or a cached or existing one); its id. */
export async function createResource(
  ctx: CheckContext,
  collection: string,
  fresh = true,
  apiKey?: string,
  /** the Idempotency-Key of the creating request (default: a new one) */
  key: string = randomUUID(),
): Promise<string> {
  const cache = registry(ctx).created;
  const cacheKey = `${apiKey ?? ''} ${collection}`;
  if (!fresh && cache.has(cacheKey)) return cache.get(cacheKey) as string;
  const creator = ctx.operations.find((o) => o.method === 'POST' && o.path === collection);
  if (!creator?.body) {
    let existing = await findExisting(ctx, collection, apiKey, fresh);
    if (!existing && !apiKey) {
      await runProducers(ctx);
      existing = await findExisting(ctx, collection, undefined, fresh);
    }
    if (!existing)
      throw new NotApplicable(
        `no POST ${collection} to create one, and the target lists ${fresh ? 'no unused one' : 'none'} to use`,
      );
    cache.set(cacheKey, existing);
    return existing;
  }
  const create = (body: unknown) =>
    ctx.client.send({
      method: 'POST',
      path: collection,
      headers: { 'idempotency-key': key },
      body: JSON.stringify(body),
      apiKey,
    });
  let response = await create(ctx.validSample(creator.body.schema));
  // optional members can break rules a schema cannot say (a date that must be in the future): only the required ones
  if (response.status === 400) {
    key = randomUUID();
    response = await create(ctx.requiredSample(creator.body.schema));
  }
  const id = idOf(response.json) ?? response.headers.location?.split('/').pop();
  if (response.status >= 300 || !id)
    throw new NotApplicable(`creating a resource at ${collection} answered ${response.status}`);
  cache.set(cacheKey, id);
  return id;
}

function fillPath(op: Operation, id: string): string {
  return op.pathParams.length === 1
    ? op.path.replace(`{${op.pathParams[0]}}`, encodeURIComponent(id))
    : op.path;
}

/** the request for `op` on the resource `id`, without any prelude */
export function requestOn(ctx: CheckContext, op: Operation, id: string | undefined): RequestSpec {
  let path = id === undefined ? op.path : fillPath(op, id);
  const query = op.query
    .filter((q) => q.required)
    .map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(ctx.validSample(q.schema)))}`);
  if (query.length) path += `?${query.join('&')}`;
  const headers: Record<string, string> = {};
  if (op.requiredHeaders.includes('idempotency-key') || op.optionalHeaders.includes('idempotency-key'))
    headers['idempotency-key'] = randomUUID();
  if (op.body) headers['content-type'] = op.body.contentType;
  return {
    method: op.method,
    path,
    headers,
    body: op.body ? JSON.stringify(ctx.validSample(op.body.schema)) : undefined,
  };
}

async function withIfMatch(ctx: CheckContext, op: Operation, request: RequestSpec): Promise<RequestSpec> {
  if (!op.requiredHeaders.includes('if-match')) return request;
  const etag = await etagOf(ctx, resourceOf(op, request.path), request.apiKey ?? undefined);
  return { ...request, headers: { ...request.headers, 'if-match': etag ?? '*' } };
}

/** Apply actions in order to the resource; false when one of them is refused. */
async function applyPrelude(
  ctx: CheckContext,
  steps: Operation[],
  id: string,
  apiKey?: string,
): Promise<boolean> {
  for (const step of steps) {
    const answer = await ctx.client.send({
      ...(await withIfMatch(ctx, step, requestOn(ctx, step, id))),
      apiKey,
    });
    if (answer.status >= 300) return false;
  }
  return true;
}

/**
 * The shortest sequence (at most two) of the resource's other actions after
 * which `op` succeeds on a fresh resource, tried in document order.
 */
async function preludeFor(ctx: CheckContext, op: Operation): Promise<Operation[] | null> {
  const reg = registry(ctx);
  if (reg.preludes.has(op.id)) return reg.preludes.get(op.id) as Operation[] | null;
  reg.preludes.set(op.id, null);
  const others = actionsOf(ctx, op).filter((o) => o.id !== op.id);
  const candidates: Operation[][] = [[], ...others.map((o) => [o])];
  for (const a of others) for (const b of others) if (a !== b) candidates.push([a, b]);
  const refused = new Set<string>(); // a prefix refused on a fresh resource is refused in every sequence
  for (const steps of candidates) {
    if (steps.length && refused.has(steps[0].id)) continue;
    const id = await createResource(ctx, collectionOf(op), true);
    if (!(await applyPrelude(ctx, steps, id))) {
      if (steps.length === 1) refused.add(steps[0].id);
      continue;
    }
    const answer = await ctx.client.send(await withIfMatch(ctx, op, requestOn(ctx, op, id)));
    if (answer.status < 300) {
      reg.preludes.set(op.id, steps);
      return steps;
    }
  }
  return null;
}

/** the actions `op` needs before it on a fresh resource (names, for reports) */
export function knownPrelude(ctx: CheckContext, op: Operation): string[] {
  return (registry(ctx).preludes.get(op.id) ?? []).map((o) => o.id);
}

export async function buildRequest(
  ctx: CheckContext,
  op: Operation,
  options: { freshResource?: boolean; apiKey?: string; createKey?: string } = {},
): Promise<RequestSpec> {
  if (op.pathParams.length > 1) throw new NotApplicable('more than one path parameter');
  let id: string | undefined;
  if (op.pathParams.length === 1) {
    const collection = collectionOf(op);
    const creatable = ctx.operations.some((o) => o.method === 'POST' && o.path === collection && o.body);
    if (options.freshResource && creatable && isAction(op)) {
      const steps = options.apiKey ? registry(ctx).preludes.get(op.id) : await preludeFor(ctx, op);
      id = await createResource(ctx, collection, true, options.apiKey, options.createKey);
      if (steps?.length) await applyPrelude(ctx, steps, id, options.apiKey);
    } else id = await createResource(ctx, collection, options.freshResource ?? false, options.apiKey);
  }
  const request = requestOn(ctx, op, id);
  return withIfMatch(ctx, op, options.apiKey ? { ...request, apiKey: options.apiKey } : request);
}
