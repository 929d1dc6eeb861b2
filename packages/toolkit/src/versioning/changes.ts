/** The shape of a declared version change, and how route keys are matched. */

/** A JSON body of any shape: each change knows the shape it translates. */
// biome-ignore lint/suspicious/noExplicitAny: bodies are JSON of any shape; each change knows its own
export type JsonBody = any;
/** A JSON Schema (an OpenAPI document's schema object). */
export type JsonSchema = Record<string, unknown>;

export interface RequestChangeContext {
  /** the version the client speaks */
  version: string;
  method: string;
  /** the Fastify route template, e.g. `/notes/:id` */
  route: string;
}

export interface ResponseChangeContext extends RequestChangeContext {
  status: number;
  /** true for an `application/problem+json` answer (most changes leave those alone) */
  problem: boolean;
}

export interface VersionChange {
  /** the version that INTRODUCED this change; clients on older versions get it translated */
  version: string;
  /** one line for the changelog: what changed */
  description: string;
  /** `METHOD /route/template` exactly as Fastify's `routeOptions.url`, or `*` for every route */
  routes: readonly string[];
  /** an older client's body → this version's shape (run upwards, oldest change first) */
  request?: (body: JsonBody, context: RequestChangeContext) => JsonBody;
  /** this version's body → the shape before it (run downwards, newest change first) */
  response?: (body: JsonBody, context: ResponseChangeContext) => JsonBody;
  /** the same change on the OpenAPI document's schemas (downwards) */
  schema?: {
    request?: (schema: JsonSchema) => JsonSchema;
    response?: (schema: JsonSchema, status: string) => JsonSchema;
  };
  /** the same change on outgoing event / notification payloads (downwards) */
  events?: (type: string, payload: JsonBody) => JsonBody;
}

const ROUTE_KEY = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*$/;

export function checkRouteKey(key: string, where: string): void {
  if (key !== '*' && !ROUTE_KEY.test(key))
    throw new Error(
      `${where}: route "${key}" must be "METHOD /route/template" (e.g. "GET /notes/:id") or "*"`,
    );
}

export const routeKey = (method: string, route: string): string => `${method} ${route}`;

/** `GET /notes/:id` → `get /notes/{id}` (the OpenAPI path and lower-case method) */
export function openApiKey(key: string): string {
  const [method, route] = key.split(' ');
  return `${method.toLowerCase()} ${route.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}
