/**
 * diffOpenApi(old, new): every difference between two OpenAPI 3.x documents
 * that a client could notice, each classified as breaking or not (the rules
 * are in rules.ts and docs/checker.md). `$ref`s are resolved first, so moving a
 * schema into `components` changes nothing; components themselves are compared
 * only through what references them (security schemes excepted).
 */
import { resolveSpec, SpecError } from '../spec.ts';
import { canonical } from './normalize.ts';
import { compareOperation, type OperationSide } from './operation.ts';
import { OPERATION_RULES } from './rules.ts';
import type { Report } from './schema.ts';

type Obj = Record<string, unknown>;

export interface ApiChange {
  breaking: boolean;
  /** the rule: `operation-removed`, `field-now-required`… (see docs/checker.md) */
  kind: string;
  /** the operation, `POST /v1/orders` (the new document's path), or `(document)` */
  path: string;
  /** where in it: `request.body.customer.email`, `response.200.header.ETag`, `request.query.limit` */
  location: string;
  message: string;
}

export interface ApiDiff {
  changes: ApiChange[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DOCUMENT_ANNOTATIONS = new Set(['info', 'tags', 'externalDocs', 'jsonSchemaDialect', 'openapi']);

function check(doc: unknown, which: string): Obj {
  const version = (doc as Obj | null)?.openapi;
  if (typeof version !== 'string' || !/^3\./.test(version))
    throw new SpecError(
      `the ${which} document is not OpenAPI 3.x (its "openapi" field is ${JSON.stringify(version) ?? 'missing'})`,
    );
  return resolveSpec(doc as Obj);
}

function operationsOf(doc: Obj): Map<string, OperationSide & { id: string }> {
  const out = new Map<string, OperationSide & { id: string }>();
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Obj>))
    for (const method of METHODS) {
      const op = item?.[method] as Obj | undefined;
      if (!op) continue;
      out.set(`${method} ${path.replace(/\{[^}]*\}/g, '{}')}`, {
        id: `${method.toUpperCase()} ${path}`,
        op,
        item,
        path,
        security: (op.security ?? doc.security ?? []) as unknown[],
      });
    }
  return out;
}

export function diffOpenApi(oldDoc: unknown, newDoc: unknown): ApiDiff {
  const a = check(oldDoc, 'old');
  const b = check(newDoc, 'new');
  const changes: ApiChange[] = [];
  const reportFor =
    (path: string): Report =>
    (breaking, kind, location, message) =>
      changes.push({ breaking, kind, path, location, message });
  compareDocument(a, b, reportFor('(document)'));
  const before = operationsOf(a);
  const after = operationsOf(b);
  for (const [key, n] of after) {
    const o = before.get(key);
    if (o) compareOperation(o, n, reportFor(n.id));
    else
      changes.push({
        breaking: false,
        kind: 'operation-added',
        path: n.id,
        location: '',
        message: 'operation added',
      });
  }
  for (const [key, o] of before)
    if (!after.has(key))
      changes.push({
        breaking: true,
        kind: 'operation-removed',
        path: o.id,
        location: '',
        message: 'operation removed',
      });
  return { changes };
}

function compareDocument(a: Obj, b: Obj, report: Report): void {
  const say = (kind: string, location: string, message: string) =>
    report(OPERATION_RULES[kind].breaking, kind, location, message);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (
      ['paths', 'components', 'security', 'servers'].includes(key) ||
      canonical(a[key]) === canonical(b[key])
    )
      continue;
    if (DOCUMENT_ANNOTATIONS.has(key) || key.startsWith('x-'))
      say('document-annotation-changed', key, `${key} changed`);
    else say('document-changed', key, `${key} changed (not classified: review it)`);
  }
  const urls = (doc: Obj) => ((doc.servers as Obj[] | undefined) ?? []).map((s) => String(s.url));
  for (const url of urls(a))
    if (!urls(b).includes(url)) say('servers-changed', 'servers', `server ${url} removed`);
  for (const url of urls(b))
    if (!urls(a).includes(url)) say('document-annotation-changed', 'servers', `server ${url} added`);
  const schemes = (doc: Obj) => ((doc.components as Obj | undefined)?.securitySchemes ?? {}) as Obj;
  const sa = schemes(a);
  const sb = schemes(b);
  const wire = (scheme: unknown) => {
    const { description: _d, ...rest } = (scheme ?? {}) as Obj;
    return canonical(rest);
  };
  for (const name of Object.keys(sa))
    if (!(name in sb))
      say('security-changed', `components.securitySchemes.${name}`, `security scheme ${name} removed`);
    else if (wire(sa[name]) !== wire(sb[name]))
      say('security-changed', `components.securitySchemes.${name}`, `security scheme ${name} changed`);
    else if (canonical(sa[name]) !== canonical(sb[name]))
      say(
        'document-annotation-changed',
        `components.securitySchemes.${name}`,
        `security scheme ${name} description changed`,
      );
  for (const name of Object.keys(sb))
    if (!(name in sa))
      say(
        'document-annotation-changed',
        `components.securitySchemes.${name}`,
        `security scheme ${name} added`,
      );
}
