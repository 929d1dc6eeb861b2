/**
 * Check real responses against an OpenAPI 3.1 document: the path and method
 * must be documented, the status documented (or a `default`), the content
 * type listed and the body valid against its schema. Used by the test app so
 * every response the suite produces is checked.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface OpenApiDoc {
  paths: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>>;
}
interface OpenApiResponse {
  content?: Record<string, { schema?: object }>;
}

export interface ContractResponse {
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

export interface ContractChecker {
  /** violations for one response; [] when it conforms or its path is not in the document */
  check(response: ContractResponse): string[];
}

function templateToRegex(template: string): RegExp {
  const source = template
    .split('/')
    .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export function createContractChecker(doc: OpenApiDoc): ContractChecker {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const paths = Object.keys(doc.paths).map((template) => ({ template, regex: templateToRegex(template) }));
  const compiled = new Map<object, ValidateFunction>();
  const validator = (schema: object) => {
    let fn = compiled.get(schema);
    if (!fn) {
      fn = ajv.compile(schema);
      compiled.set(schema, fn);
    }
    return fn;
  };

  return {
    check({ method, path, status, contentType, body }) {
      const match = paths.find((p) => p.regex.test(path.split('?')[0]));
      if (!match) return [];
      const where = `${method} ${match.template} → ${status}`;
      const operation = doc.paths[match.template][method.toLowerCase()];
      // 405 is the right answer to an undocumented method
      if (!operation) return method === 'HEAD' || status === 405 ? [] : [`${where}: method not documented`];
      const responses = operation.responses ?? {};
      const documented = responses[String(status)] ?? responses.default;
      if (!documented) return [`${where}: status not documented`];
      if (!documented.content || status === 204) return [];
      const mediaType = (contentType ?? '').split(';')[0].trim();
      const media = documented.content[mediaType];
      if (!media) return [`${where}: content type ${mediaType} not documented`];
      if (!media.schema) return [];
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return [`${where}: body is not JSON`];
      }
      const validate = validator(media.schema);
      if (validate(parsed)) return [];
      return [`${where}: ${ajv.errorsText(validate.errors)}`];
    },
  };
}
