/**
 * The OpenAPI document under test (3.0 or 3.1): loaded from a URL or a file,
 * local `$ref`s resolved, and flattened into the operations the checks use.
 */
import fs from 'node:fs';

export type Schema = Record<string, unknown>;

export interface Operation {
  id: string;
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; required: boolean; schema: Schema }[];
  requiredHeaders: string[];
  body: { contentType: string; schema: Schema; required: boolean } | undefined;
  /** status → content type → schema (undefined schema: anything) */
  responses: Record<string, Record<string, Schema | undefined> | undefined>;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

export async function loadSpec(
  source: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Record<string, unknown>> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const response = await fetchImpl(source).catch((error: Error) => {
      throw new SpecError(`cannot reach ${source}: ${error.message}`);
    });
    if (!response.ok) throw new SpecError(`${source} answered ${response.status}`);
    text = await response.text();
  } else {
    if (!fs.existsSync(source)) throw new SpecError(`no such file: ${source}`);
    text = fs.readFileSync(source, 'utf8');
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SpecError(`${source} is not JSON (only JSON OpenAPI documents are supported)`);
  }
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi) || typeof doc.paths !== 'object') {
    throw new SpecError(`${source} is not an OpenAPI 3.0 or 3.1 document`);
  }
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
      for (const [status, response] of Object.entries(
        (op.responses as Record<string, { content?: Record<string, { schema?: Schema }> }>) ?? {},
      )) {
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
