/**
 * Does a real HTTP response keep the promises of an OpenAPI 3.0/3.1 document?
 * Its path and method documented, its status documented (exactly, as a `2XX`
 * range, or by `default`), its content type listed and its JSON body valid
 * against the schema. `$ref`s (to responses and schemas, recursive ones too)
 * are followed; schemas are compiled once (ajv + ajv-formats) and cached.
 * One implementation for the checker and for test harnesses.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface OpenApiResponse {
  method: string;
  /** a concrete path (a query string is ignored) or a path template from the document */
  path: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

export type OpenApiViolationKind =
  | 'method'
  | 'status'
  | 'content-type'
  | 'empty-body'
  | 'not-json'
  | 'schema'
  | 'broken-schema';

export interface OpenApiViolation {
  kind: OpenApiViolationKind;
  /** `GET /things/{id}` */
  operation: string;
  status: number;
  /** what is wrong, without the operation and status: `status not documented` */
  message: string;
}

export interface OpenApiValidator {
  /** the documented path template a concrete path falls under (literal segments win over `{params}`) */
  matchPath(path: string): string | undefined;
  /** the first way the response breaks the document; undefined when it conforms or its path is not documented */
  validateResponse(response: OpenApiResponse): OpenApiViolation | undefined;
}

/** `GET /things/{id} → 200: body does not match its schema: body/id must be string` */
export function formatViolation(violation: OpenApiViolation): string {
  return `${violation.operation} → ${violation.status}: ${violation.message}`;
}

type Node = Record<string, unknown>;
const DOC_ID = 'https://steadfast.invalid/openapi.json';

/** a JSON pointer as a URI fragment, from the raw keys */
const fragment = (keys: string[]) =>
  keys.map((k) => `/${encodeURIComponent(k.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');
const unescapeRef = (part: string) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');

function templateToRegex(template: string): RegExp {
  const source = template
    .split('/')
    .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** the response that documents a status: exact, then `4XX`, then `default` */
function responseKeyFor(responses: Node, status: number): string | undefined {
  const exact = String(status);
  if (exact in responses) return exact;
  const range = Object.keys(responses).find((k) => k.toUpperCase() === `${exact[0]}XX`);
  return range ?? ('default' in responses ? 'default' : undefined);
}

/** the documented media type for a content type: exact, then `type/*`, then `*\/*` */
function mediaKeyFor(content: Node, type: string): string | undefined {
  const keys = Object.keys(content);
  const find = (wanted: string) => keys.find((k) => k.split(';')[0].trim().toLowerCase() === wanted);
  return find(type) ?? find(`${type.split('/')[0]}/*`) ?? find('*/*');
}

export function createOpenApiValidator(doc: object): OpenApiValidator {
  const root = doc as Node;
  const options = { strict: false, allErrors: true, validateFormats: true, logger: false } as const;
  const ajv = /^3\.1\./.test(String(root.openapi ?? ''))
    ? new Ajv2020.default(options)
    : new Ajv.default(options);
  addFormats.default(ajv);
  ajv.addSchema(root, DOC_ID, undefined, false);
  const compiled = new Map<string, ValidateFunction | Error>();
  const paths = root.paths && typeof root.paths === 'object' ? (root.paths as Record<string, Node>) : {};
  const templates = Object.keys(paths)
    .map((template) => ({
      template,
      regex: templateToRegex(template),
      params: template.split('{').length - 1,
    }))
    .sort((a, b) => a.params - b.params);

  /** follow an OpenAPI-level `$ref` (responses, path items), keeping track of where the node lives */
  function deref(node: unknown, keys: string[], seen: string[] = []): { node: Node; keys: string[] } {
    const ref = (node as Node | undefined)?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/') || seen.includes(ref))
      return { node: (node ?? {}) as Node, keys };
    const target = ref.slice(2).split('/').map(unescapeRef);
    const found = target.reduce<unknown>((at, key) => (at as Node | undefined)?.[key], root);
    return deref(found, target, [...seen, ref]);
  }

  function validatorAt(pointer: string): ValidateFunction | Error {
    let fn = compiled.get(pointer);
    if (!fn) {
      try {
        fn = ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
      } catch (error) {
        fn = error as Error;
      }
      compiled.set(pointer, fn);
    }
    return fn;
  }

  function matchPath(path: string): string | undefined {
    const bare = path.split('?')[0];
    if (bare in paths) return bare;
    return templates.find((t) => t.regex.test(bare))?.template;
  }

  return {
    matchPath,
    validateResponse({ method, path, status, contentType, body }) {
      const template = matchPath(path);
      if (!template) return undefined;
      const verb = method.toUpperCase();
      const violation = (kind: OpenApiViolationKind, message: string): OpenApiViolation => ({
        kind,
        operation: `${verb} ${template}`,
        status,
        message,
      });
      const item = deref(paths[template], ['paths', template]);
      const operation = item.node[verb.toLowerCase()] as Node | undefined;
      // 405 is the right answer to an undocumented method
      if (!operation)
        return verb === 'HEAD' || status === 405 ? undefined : violation('method', 'method not documented');
      const responses = (operation.responses ?? {}) as Node;
      const key = responseKeyFor(responses, status);
      if (key === undefined) return violation('status', 'status not documented');
      const documented = deref(responses[key], [...item.keys, verb.toLowerCase(), 'responses', key]);
      const content = documented.node.content as Node | undefined;
      if (!content || Object.keys(content).length === 0) return undefined;
      if (verb === 'HEAD' || status === 204 || status === 304) return undefined;
      const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
      if (body === '' && !type) return violation('empty-body', 'body is empty');
      const mediaKey = mediaKeyFor(content, type);
      if (mediaKey === undefined)
        return violation('content-type', `content type ${type || '(none)'} not documented`);
      const media = (content[mediaKey] ?? {}) as Node;
      if (media.schema === undefined || !/[/+]json$/.test(type)) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return violation('not-json', 'body is not JSON');
      }
      const pointer = fragment([...documented.keys, 'content', mediaKey, 'schema']);
      const validate = validatorAt(pointer);
      if (validate instanceof Error)
        return violation(
          'broken-schema',
          `the schema at #${pointer} cannot be compiled: ${validate.message}`,
        );
      if (validate(json)) return undefined;
      return violation(
        'schema',
        `body does not match its schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`,
      );
    },
  };
}
