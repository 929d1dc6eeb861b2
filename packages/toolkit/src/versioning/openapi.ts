/**
 * The OpenAPI document of an older version: a copy of the newest document with
 * every newer change's schema transforms applied (newest change first) to the
 * request and response schemas of the operations it touches. A touched
 * operation's schemas are handed to the transform with their local `$ref`s
 * inlined (a transform sees the whole shape); untouched operations keep theirs.
 */
import { type JsonSchema, openApiKey, type VersionChange } from './changes.ts';

export interface OpenApiDocument {
  openapi?: string;
  info?: { version?: string; [key: string]: unknown };
  paths?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;

function pointerGet(document: OpenApiDocument, ref: string): unknown {
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isNode(node) ? node[part] : undefined;
  }
  if (node === undefined) throw new Error(`documentFor: unresolvable $ref ${ref}`);
  return node;
}

/** a copy of `value` with local `$ref`s replaced by what they point at (a cycle keeps its `$ref`) */
function inline(document: OpenApiDocument, value: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(document, v, seen));
  if (!isNode(value)) return value;
  const ref = value.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.includes(ref)) return { ...value };
    const { $ref: _, ...siblings } = value;
    const target = inline(document, pointerGet(document, ref), [...seen, ref]);
    return Object.keys(siblings).length && isNode(target)
      ? { ...target, ...(inline(document, siblings, seen) as Node) }
      : target;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inline(document, v, seen)]));
}

const isJsonType = (contentType: string) => /^application\/([\w.-]+\+)?json\b|\+json\b/.test(contentType);

function eachJsonSchema(content: unknown, apply: (schema: JsonSchema) => JsonSchema): void {
  if (!isNode(content)) return;
  for (const [type, media] of Object.entries(content)) {
    if (isJsonType(type) && isNode(media) && isNode(media.schema)) media.schema = apply(media.schema);
  }
}

export function versionDocument<D extends object>(
  version: string,
  changes: readonly VersionChange[],
  source: D,
): D {
  const document = structuredClone(source) as OpenApiDocument;
  document.info = { ...document.info, version };
  const paths = document.paths ?? {};
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i];
    const transform = change.schema;
    if (!transform?.request && !transform?.response) continue;
    const all = change.routes.includes('*');
    const keys = new Set(change.routes.filter((r) => r !== '*').map(openApiKey));
    for (const [path, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!isNode(operation) || !(all || keys.has(`${method} ${path}`))) continue;
        const touched = inline(document, operation) as Node;
        item[method] = touched;
        if (transform.request && isNode(touched.requestBody))
          eachJsonSchema(touched.requestBody.content, (schema) => transform.request!(schema));
        if (transform.response && isNode(touched.responses)) {
          for (const [status, response] of Object.entries(touched.responses)) {
            if (isNode(response))
              eachJsonSchema(response.content, (schema) => transform.response!(schema, status));
          }
        }
      }
    }
  }
  return document as D;
}
