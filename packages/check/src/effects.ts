/**
 * Effects seen from outside. A POST on a collection: the collection's count.
 * An action on a resource: what changed in the resource — its version (a
 * `version` field or a numeric ETag) counts effects exactly; without one, any
 * changed field (status, …) proves "at least one". An operation answered
 * 202 with a `Location` in a listable collection: that collection's count.
 */
import type { RequestSpec } from './client.ts';
import type { CheckContext } from './context.ts';
import { collectionOf, countCollection, itemsOf, resourceOf } from './requests.ts';
import type { Operation } from './spec.ts';

export interface State {
  count?: number;
  version?: number;
  body?: string;
}

export interface Meter {
  /** what "effect" means here, for reports */
  what: string;
  take(apiKey?: string): Promise<State | undefined>;
  /** effects between two states; `exact` false: 1 means "at least one" */
  effects(before: State | undefined, after: State | undefined): number;
  exact: boolean;
}

/** fields that change on every read or by time alone, not by an effect */
const VOLATILE = /^(updatedAt|updated_at|modifiedAt|lastSeenAt|asOf|now|requestId|etag)$/i;
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !VOLATILE.test(k))
      .map(([k, v]) => [k, stable(v)]),
  );
}

function versionOf(json: unknown, etag: string | undefined): number | undefined {
  const field = (json as { version?: unknown } | undefined)?.version;
  if (typeof field === 'number') return field;
  const match = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag) : null;
  return match ? Number(match[1]) : undefined;
}

function collectionMeter(ctx: CheckContext, collection: string): Meter {
  return {
    what: `items in ${collection}`,
    exact: true,
    take: async (key) => {
      const count = await countCollection(ctx, collection, key);
      return count === undefined ? undefined : { count };
    },
    effects: (a, b) => (b?.count ?? 0) - (a?.count ?? 0),
  };
}

function resourceMeter(ctx: CheckContext, path: string, exact: boolean): Meter {
  return {
    what: exact ? `the version of ${path}` : `the fields of ${path}`,
    exact,
    take: async (key) => {
      const response = await ctx.client.send({ method: 'GET', path, apiKey: key });
      if (response.status !== 200) return undefined;
      return {
        version: versionOf(response.json, response.headers.etag),
        body: JSON.stringify(stable(response.json)),
      };
    },
    effects: (a, b) => {
      if (!a || !b) return 0;
      if (exact && a.version !== undefined && b.version !== undefined) return b.version - a.version;
      return a.body === b.body ? 0 : 1;
    },
  };
}

/** a resource without its own GET, read as its item in the collection's list (first page) */
function listItemMeter(ctx: CheckContext, collection: string, id: string): Meter {
  return {
    what: `${id} in the list ${collection}`,
    exact: false,
    take: async (key) => {
      const response = await ctx.client.send({ method: 'GET', path: collection, apiKey: key });
      const item = itemsOf(response.json)?.find((i) => String((i as { id?: unknown }).id) === id);
      return item === undefined ? undefined : { body: JSON.stringify(stable(item)) };
    },
    effects: (a, b) => (a && b && a.body !== b.body ? 1 : 0),
  };
}

/** How to see the effects of `request` (undefined: they cannot be seen from outside). */
export async function meterFor(
  ctx: CheckContext,
  op: Operation,
  request: RequestSpec,
  /** the Location a first answer named (a 202's operation) */
  location?: string,
): Promise<Meter | undefined> {
  const listable = (c: string) => ctx.operations.some((o) => o.method === 'GET' && o.path === c);
  // an operation answered 202 with a Location: its effect is the operation it started (the
  // resource it works on changes later, in the background, as often as the work needs)
  const named = op.responses['202'] && location ? new URL(location, 'http://x').pathname : undefined;
  const started = named
    ? ctx.operations.find(
        (o) =>
          o.method === 'GET' &&
          o.pathParams.length === 0 &&
          listable(o.path) &&
          named.startsWith(`${o.path}/`),
      )
    : undefined;
  if (started && started.path !== collectionOf(op)) return collectionMeter(ctx, started.path);
  if (op.pathParams.length === 0) {
    const collection = collectionOf(op);
    return listable(collection) ? collectionMeter(ctx, collection) : undefined;
  }
  const path = resourceOf(op, request.path);
  if (
    !ctx.operations.some((o) => o.method === 'GET' && o.path === op.path.slice(0, op.path.indexOf('}') + 1))
  ) {
    const collection = collectionOf(op);
    return listable(collection)
      ? listItemMeter(ctx, collection, decodeURIComponent(path.split('/').pop() ?? ''))
      : undefined;
  }
  const meter = resourceMeter(ctx, path, true);
  const state = await meter.take(request.apiKey ?? undefined);
  if (!state) return undefined;
  return state.version === undefined ? resourceMeter(ctx, path, false) : meter;
}
