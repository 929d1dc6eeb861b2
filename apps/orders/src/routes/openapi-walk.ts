/** The parts of an OpenAPI 3.1 document the shaping steps (openapi-shape.ts) read and change. */

export type Node = Record<string, unknown>;

export const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface MediaType {
  schema?: Node;
  [key: string]: unknown;
}

export interface ResponseObject {
  $ref?: string;
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
  [key: string]: unknown;
}

export interface Parameter {
  in?: string;
  name?: string;
  required?: boolean;
  description?: string;
  schema?: Node;
  $ref?: string;
  [key: string]: unknown;
}

export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType>; [key: string]: unknown };
  responses?: Record<string, ResponseObject>;
  [key: string]: unknown;
}

export interface OpenApiDocument {
  openapi?: string;
  paths?: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, Node>;
    headers?: Record<string, Node>;
    parameters?: Record<string, Node>;
    responses?: Record<string, unknown>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface OperationEntry {
  /** `POST /v1/orders/{id}/pay` */
  key: string;
  path: string;
  method: string;
  operation: Operation;
}

/** every operation of the document, in document order */
export function operationsOf(document: OpenApiDocument): OperationEntry[] {
  const out: OperationEntry[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (isNode(operation)) out.push({ key: `${method.toUpperCase()} ${path}`, path, method, operation });
    }
  }
  return out;
}

/** schema keywords whose value is a schema, a list of schemas, or a map of schemas */
const ONE = ['items', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalProperties'];
const MANY = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];

/**
 * Rebuild a schema bottom-up: `visit` sees every subschema after its own
 * subschemas were rebuilt, and returns its replacement. Only schema positions
 * are visited — never `enum`, `const`, `default` or `examples` values.
 */
export function mapSchema(schema: Node, visit: (schema: Node) => Node): Node {
  const out: Node = { ...schema };
  for (const key of ONE) if (isNode(out[key])) out[key] = mapSchema(out[key] as Node, visit);
  for (const key of MANY)
    if (Array.isArray(out[key]))
      out[key] = (out[key] as unknown[]).map((s) => (isNode(s) ? mapSchema(s, visit) : s));
  for (const key of MAP)
    if (isNode(out[key]))
      out[key] = Object.fromEntries(
        Object.entries(out[key] as Node).map(([k, s]) => [k, isNode(s) ? mapSchema(s, visit) : s]),
      );
  return visit(out);
}

/** JSON equality of two schemas (key order ignored) */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameJson(v, b[i]));
  }
  if (!isNode(a) || !isNode(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  return keys.every((k) => sameJson(a[k], b[k]));
}

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `#/components/schemas/Order` → `Order` */
export const refName = (schema: Node | undefined): string | undefined =>
  typeof schema?.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
