/**
 * Named response schemas: every schema with a `title` (Order, Operation,
 * Problem, DeadLetter, ApiKey, …) moves to `components.schemas` once and is
 * referenced by `$ref` everywhere it appears, and every response body that is
 * an object gets a name too — so a generated client has `Order`, `OrderList`,
 * `Problem` types instead of one anonymous copy per operation.
 *
 * Request bodies and parameters stay inline: the fuzzer (fuzz/) generates
 * requests from them without following `$ref`s, and each is used once.
 */
import {
  isNode,
  mapSchema,
  type Node,
  type OpenApiDocument,
  operationsOf,
  refName,
  sameJson,
  schemaRef,
} from './openapi-walk.ts';

/** Names the titles and the list convention do not give: by operationId. */
export const BODY_NAMES: Readonly<Record<string, { body?: string; item?: string }>> = {
  listWebhookEvents: { item: 'WebhookEvent' },
  listDependencies: { body: 'DependencyList', item: 'Dependency' },
  getOrderRecommendations: { body: 'Recommendations' },
  rotateApiKey: { body: 'ApiKeyRotation' },
  replayWebhookEvent: { body: 'WebhookEventReplay' },
};

const COMPONENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');

/** `{ data: [X], nextCursor }` → the name of X, when X is named */
function listItemName(schema: Node): string | undefined {
  const properties = isNode(schema.properties) ? schema.properties : {};
  const data = properties.data;
  if (!isNode(data) || data.type !== 'array' || !('nextCursor' in properties)) return undefined;
  return isNode(data.items) ? refName(data.items) : undefined;
}

/** the body with its list items titled `item` (so they are named too) */
function titleItems(schema: Node, item: string | undefined): Node {
  const properties = isNode(schema.properties) ? schema.properties : undefined;
  const data = properties?.data;
  if (!item || !properties || !isNode(data) || !isNode(data.items) || 'title' in data.items) return schema;
  return {
    ...schema,
    properties: { ...properties, data: { ...data, items: { title: item, ...data.items } } },
  };
}

export function withNamedSchemas<T extends OpenApiDocument>(document: T, names = BODY_NAMES): T {
  document.components ??= {};
  document.components.schemas ??= {};
  const schemas = document.components.schemas;
  const named = (name: string, schema: Node): Node => {
    const existing = schemas[name];
    if (existing && !sameJson(existing, schema)) {
      throw new Error(`OpenAPI: two different schemas are both named ${name}; give one another title`);
    }
    schemas[name] = schema;
    return schemaRef(name);
  };
  const hoist = (schema: Node) =>
    mapSchema(schema, (s) =>
      typeof s.title === 'string' && COMPONENT_NAME.test(s.title) && s.$ref === undefined
        ? named(s.title, s)
        : s,
    );
  for (const { key, operation } of operationsOf(document)) {
    const naming = operation.operationId ? names[operation.operationId] : undefined;
    for (const response of Object.values(operation.responses ?? {})) {
      for (const media of Object.values(response.content ?? {})) {
        if (!isNode(media.schema)) continue;
        let schema = hoist(titleItems(media.schema, naming?.item));
        if (schema.$ref === undefined && schema.type === 'object') {
          const item = listItemName(schema);
          const name =
            naming?.body ?? (item ? `${item}List` : `${pascal(operation.operationId ?? key)}Response`);
          schema = named(name, { title: name, ...schema });
        }
        media.schema = schema;
      }
    }
  }
  return document;
}
