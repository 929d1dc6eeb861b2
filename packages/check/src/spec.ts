/**
 * The OpenAPI document under test (3.0 or 3.1): loaded from a URL or a file,
 * local `$ref`s resolved, and flattened into the operations the checks use.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';

export type Schema = Record<string, unknown>;

export interface Operation {
  id: string;
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; required: boolean; schema: Schema }[];
  requiredHeaders: string[];
  /** header parameters the document lists without requiring them (lower case) */
  optionalHeaders: string[];
  /** the document asks for credentials here (its own `security`, or the document's) */
  secured: boolean;
  operationId?: string;
  /** `x-replay-omits`: top-level answer members an idempotent replay may leave out or null by design (a secret shown once) */
  replayOmits: string[];
  /** status → OpenAPI links of that response (operationId or operationRef, parameters) */
  links: Record<string, Record<string, { operationId?: string; operationRef?: string }>>;
  body: { contentType: string; schema: Schema; required: boolean } | undefined;
  /** status → content type → schema (undefined schema: anything) */
  responses: Record<string, Record<string, Schema | undefined> | undefined>;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

/** The document with its local `$ref`s resolved (a cycle is cut to `{}`). */
export async function loadSpec(
  source: string,
  fetchImpl: typeof fetch = fetch,
  options: ReadOptions = {},
): Promise<Record<string, unknown>> {
  return resolveSpec(await readSpec(source, fetchImpl, options));
}

export interface ReadOptions {
  /** sent as `Authorization: Bearer <key>` when the document is fetched, as with every other request */
  apiKey?: string;
  /** appended to the messages of a fetch that found no document (default: how to pass --openapi) */
  hint?: string;
}

/** Why a fetch failed, in a word: ECONNREFUSED, ENOTFOUND, a timeout… */
function reason(error: Error): string {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}

/** The document as written: fetched or read, parsed, and checked to be OpenAPI 3.0 or 3.1. */
export async function readSpec(
  source: string,
  fetchImpl: typeof fetch = fetch,
  options: ReadOptions = {},
): Promise<Record<string, unknown>> {
  let text: string;
  const hint = options.hint ?? ' (give the document with --openapi <url|file>)';
  if (/^https?:\/\//.test(source)) {
    const headers: Record<string, string> = options.apiKey
      ? { authorization: `Bearer ${options.apiKey}` }
      : {};
    const response = await fetchImpl(source, { headers, signal: AbortSignal.timeout(30_000) }).catch(
      (error: Error) => {
        throw new SpecError(`cannot reach ${source} (${reason(error)})`);
      },
    );
    text = await response.text();
    if (response.status === 401 || response.status === 403)
      throw new SpecError(`${source} answered ${response.status}: the document is not public${hint}`);
    if (!response.ok)
      throw new SpecError(`${source} answered ${response.status}: no OpenAPI document there${hint}`);
    const type = response.headers.get('content-type') ?? '';
    if (/html/i.test(type) || /^\s*</.test(text))
      throw new SpecError(`${source} answered an HTML page, not an OpenAPI document: is this an API?${hint}`);
  } else {
    if (!fs.existsSync(source)) throw new SpecError(`no such file: ${source}`);
    text = fs.readFileSync(source, 'utf8');
  }
  let doc: unknown;
  if (/^\s*[{[]/.test(text)) {
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new SpecError(`${source} is not valid JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  } else {
    try {
      doc = parseYaml(text, { maxAliasCount: 100 });
    } catch (error) {
      throw new SpecError(`${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const version = (doc as { openapi?: unknown; swagger?: unknown } | null) ?? {};
  if (typeof version.swagger === 'string')
    throw new SpecError(`${source} is Swagger ${version.swagger}: steadfast-check needs OpenAPI 3.0 or 3.1`);
  if (typeof version.openapi !== 'string' || !/^3\.[01]\./.test(version.openapi))
    throw new SpecError(
      `${source} is not an OpenAPI 3.0 or 3.1 document (its "openapi" field is ${JSON.stringify(version.openapi) ?? 'missing'})`,
    );
  const paths = (doc as { paths?: unknown }).paths;
  if (!paths || typeof paths !== 'object' || Array.isArray(paths))
    throw new SpecError(`${source} has no "paths": nothing to check`);
  return doc as Record<string, unknown>;
}

/** Resolve the local `$ref`s of a document (throws SpecError on one that points nowhere). */
export function resolveSpec(doc: Record<string, unknown>): Record<string, unknown> {
  return resolveRefs(doc, doc) as Record<string, unknown>;
}

function resolveRefs(node: unknown, root: Record<string, unknown>, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, root, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.includes(ref)) return {}; // a cycle: stop, allow anything
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>(
        (at, key) => (at as Record<string, unknown>)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        root,
      );
    if (target === undefined) throw new SpecError(`unresolvable $ref ${ref}`);
    return resolveRefs(target, root, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(v, root, seen)]));
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `security: []` opts out; an absent `security` inherits the document's */
function isSecured(op: Record<string, unknown>, doc: Record<string, unknown>): boolean {
  const security = (op.security ?? doc.security) as unknown[] | undefined;
  return (
    Array.isArray(security) &&
    security.length > 0 &&
    security.every((r) => Object.keys(r as object).length > 0)
  );
}

export function listOperations(doc: Record<string, unknown>): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...((item.parameters as Schema[]) ?? []), ...((op.parameters as Schema[]) ?? [])];
      const content =
        (op.requestBody as { content?: Record<string, { schema?: Schema }>; required?: boolean })?.content ??
        {};
      const bodyType = Object.keys(content).find((t) => t.includes('json'));
      const responses: Operation['responses'] = {};
      const links: Operation['links'] = {};
      for (const [status, response] of Object.entries(
        (op.responses as Record<
          string,
          { content?: Record<string, { schema?: Schema }>; links?: Operation['links'][string] }
        >) ?? {},
      )) {
        if (response?.links) links[status] = response.links;
        responses[status] = response?.content
          ? Object.fromEntries(Object.entries(response.content).map(([t, c]) => [t, c?.schema]))
          : undefined;
      }
      out.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({
            name: String(p.name),
            required: p.required === true,
            schema: (p.schema as Schema) ?? {},
          })),
        requiredHeaders: params
          .filter((p) => p.in === 'header' && p.required === true)
          .map((p) => String(p.name).toLowerCase()),
        optionalHeaders: params
          .filter((p) => p.in === 'header' && p.required !== true)
          .map((p) => String(p.name).toLowerCase()),
        secured: isSecured(op, doc),
        operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
        replayOmits: Array.isArray(op['x-replay-omits'])
          ? (op['x-replay-omits'] as unknown[]).filter((m): m is string => typeof m === 'string')
          : [],
        links,
        body: bodyType
          ? {
              contentType: bodyType,
              schema: content[bodyType]?.schema ?? {},
              required: (op.requestBody as { required?: boolean }).required === true,
            }
          : undefined,
        responses,
      });
    }
  }
  return out;
}
