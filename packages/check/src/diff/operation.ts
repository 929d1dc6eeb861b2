/**
 * Compare one operation of two documents (same method, same path template):
 * security, parameters, request body, response statuses, their content types,
 * bodies and headers. Schemas go to compareSchema; the verdicts are OPERATION_RULES.
 */

import { canonical } from './normalize.ts';
import { OPERATION_RULES } from './rules.ts';
import { compareSchema, type Report } from './schema.ts';

type Obj = Record<string, unknown>;

export interface OperationSide {
  op: Obj;
  /** the path item (its `parameters` apply to every operation) */
  item: Obj;
  path: string;
  /** the security requirements that apply (the operation's, or the document's) */
  security: unknown[];
}

const PARAMETER_ANNOTATIONS = new Set(['description', 'example', 'examples', 'deprecated']);
const OPERATION_ANNOTATIONS = new Set(['summary', 'description', 'tags', 'externalDocs']);

export function compareOperation(o: OperationSide, n: OperationSide, report: Report): void {
  const say = (kind: string, location: string, message: string) =>
    report(OPERATION_RULES[kind].breaking, kind, location, message);
  compareSecurity(o.security, n.security, say);
  for (const key of new Set([...Object.keys(o.op), ...Object.keys(n.op)])) {
    if (['parameters', 'requestBody', 'responses', 'security'].includes(key)) continue;
    if (canonical(o.op[key]) === canonical(n.op[key])) continue;
    if (key === 'operationId')
      say('operation-id-changed', 'operationId', `operationId changed from ${o.op[key]} to ${n.op[key]}`);
    else if (key === 'deprecated')
      say(
        'operation-deprecated',
        'deprecated',
        n.op[key] ? 'operation deprecated' : 'operation no longer deprecated',
      );
    else if (OPERATION_ANNOTATIONS.has(key) || key.startsWith('x-'))
      say('operation-annotation-changed', key, `${key} changed`);
    else say('operation-changed', key, `${key} changed (not classified: review it)`);
  }
  compareParameters(o, n, report, say);
  compareRequestBody(o.op.requestBody as Obj | undefined, n.op.requestBody as Obj | undefined, report, say);
  compareResponses(
    (o.op.responses ?? {}) as Record<string, Obj>,
    (n.op.responses ?? {}) as Record<string, Obj>,
    report,
    say,
  );
}

type Say = (kind: string, location: string, message: string) => void;

function compareSecurity(o: unknown[], n: unknown[], say: Say): void {
  const open = (list: unknown[]) => list.length === 0 || list.some((r) => Object.keys(r as Obj).length === 0);
  const text = (list: unknown[]) => list.map(canonical).sort().join(' or ');
  if (text(o) === text(n)) return;
  if (open(o) && !open(n)) say('security-added', 'security', 'now requires credentials');
  else if (!open(o) && open(n)) say('security-removed', 'security', 'no longer requires credentials');
  else if (!open(n)) say('security-changed', 'security', `security changed from ${text(o)} to ${text(n)}`);
  else
    say(
      'security-removed',
      'security',
      `security changed from ${text(o)} to ${text(n)} (credentials optional)`,
    );
}

/** parameters by place and name; path parameters by position, so /orders/{id} and /orders/{orderId} match */
function parametersOf(side: OperationSide): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const positions = [...side.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const p of [...((side.item.parameters as Obj[]) ?? []), ...((side.op.parameters as Obj[]) ?? [])]) {
    const name = String(p.name);
    const key =
      p.in === 'path' && positions.includes(name)
        ? `path.${positions.indexOf(name)}`
        : `${p.in}.${p.in === 'header' ? name.toLowerCase() : name}`;
    out.set(key, p);
  }
  return out;
}

function compareParameters(o: OperationSide, n: OperationSide, report: Report, say: Say): void {
  const op = parametersOf(o);
  const np = parametersOf(n);
  const label = (p: Obj) => `${p.in} parameter "${p.name}"`;
  const where = (p: Obj) => `request.${p.in}.${p.name}`;
  for (const [key, p] of op) if (!np.has(key)) say('parameter-removed', where(p), `${label(p)} removed`);
  for (const [key, p] of np)
    if (!op.has(key))
      say(
        p.required === true ? 'required-parameter-added' : 'parameter-added',
        where(p),
        `${label(p)} added${p.required === true ? ', required' : ''}`,
      );
  for (const [key, b] of np) {
    const a = op.get(key);
    if (!a) continue;
    if (a.required !== true && b.required === true)
      say('parameter-now-required', where(b), `${label(b)} is now required`);
    if (a.required === true && b.required !== true)
      say('parameter-now-optional', where(b), `${label(b)} is now optional`);
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (['name', 'in', 'required', 'schema'].includes(k) || canonical(a[k]) === canonical(b[k])) continue;
      if (PARAMETER_ANNOTATIONS.has(k) || k.startsWith('x-'))
        say('parameter-annotation-changed', where(b), `${label(b)} ${k} changed`);
      else say('parameter-changed', where(b), `${label(b)} ${k} changed`);
    }
    compareSchema(a.schema, b.schema, {
      direction: 'request',
      location: where(b),
      root: label(b),
      fieldNoun: label(b),
      report,
    });
  }
}

function compareRequestBody(o: Obj | undefined, n: Obj | undefined, report: Report, say: Say): void {
  if (!o && !n) return;
  if (!n) {
    say('request-body-removed', 'request.body', 'request body removed');
    return;
  }
  if (!o) {
    const required = n.required === true;
    say(
      required ? 'required-request-body-added' : 'request-body-added',
      'request.body',
      `request body added${required ? ', required' : ''}`,
    );
    return;
  }
  if (o.required !== true && n.required === true)
    say('request-body-now-required', 'request.body', 'request body is now required');
  if (o.required === true && n.required !== true)
    say('request-body-now-optional', 'request.body', 'request body is now optional');
  const oc = (o.content ?? {}) as Record<string, Obj>;
  const nc = (n.content ?? {}) as Record<string, Obj>;
  for (const type of Object.keys(oc))
    if (!(type in nc))
      say('request-content-type-removed', 'request.body', `request content type ${type} no longer accepted`);
  for (const type of Object.keys(nc))
    if (!(type in oc))
      say('request-content-type-added', 'request.body', `request content type ${type} now accepted`);
  const common = Object.keys(nc).filter((t) => t in oc);
  for (const type of common) {
    const suffix = common.length > 1 ? ` (${type})` : '';
    compareSchema(oc[type].schema, nc[type].schema, {
      direction: 'request',
      location: 'request.body',
      root: `request body${suffix}`,
      fieldNoun: `request${suffix}`,
      report,
    });
  }
}

const isSuccess = (status: string) => /^[123]/.test(status);

function compareResponses(o: Record<string, Obj>, n: Record<string, Obj>, report: Report, say: Say): void {
  const removed = Object.keys(o).filter((s) => !(s in n));
  const added = Object.keys(n).filter((s) => !(s in o));
  const pairs: [string, string][] = Object.keys(n)
    .filter((s) => s in o)
    .map((s) => [s, s]);
  const lostOk = removed.filter(isSuccess);
  const newOk = added.filter(isSuccess);
  if (lostOk.length === 1 && newOk.length === 1) {
    say(
      'success-status-changed',
      `response.${newOk[0]}`,
      `success status changed from ${lostOk[0]} to ${newOk[0]}`,
    );
    pairs.push([lostOk[0], newOk[0]]);
  } else {
    for (const s of lostOk) say('success-status-removed', `response.${s}`, `success status ${s} removed`);
    for (const s of newOk) say('success-status-added', `response.${s}`, `success status ${s} added`);
  }
  for (const s of removed.filter((x) => !isSuccess(x)))
    say('error-status-removed', `response.${s}`, `error status ${s} removed`);
  for (const s of added.filter((x) => !isSuccess(x)))
    say('error-status-added', `response.${s}`, `error status ${s} added`);
  const successes = new Set([...Object.keys(o), ...Object.keys(n)].filter(isSuccess)).size;
  for (const [os, ns] of pairs) {
    const label = isSuccess(ns) && (successes === 1 || os !== ns) ? 'response' : `${ns} response`;
    compareResponse(o[os], n[ns], ns, label, report, say);
  }
}

function compareResponse(o: Obj, n: Obj, status: string, label: string, report: Report, say: Say): void {
  for (const key of ['description', 'links'])
    if (canonical(o[key]) !== canonical(n[key]))
      say('response-annotation-changed', `response.${status}`, `${label} ${key} changed`);
  const oc = (o.content ?? {}) as Record<string, Obj>;
  const nc = (n.content ?? {}) as Record<string, Obj>;
  for (const type of Object.keys(oc))
    if (!(type in nc))
      say(
        'response-content-type-removed',
        `response.${status}.body`,
        `${label} content type ${type} removed`,
      );
  for (const type of Object.keys(nc))
    if (!(type in oc))
      say('response-content-type-added', `response.${status}.body`, `${label} content type ${type} added`);
  const common = Object.keys(nc).filter((t) => t in oc);
  for (const type of common) {
    const suffix = common.length > 1 ? ` (${type})` : '';
    compareSchema(oc[type].schema, nc[type].schema, {
      direction: 'response',
      location: `response.${status}.body`,
      root: `${label} body${suffix}`,
      fieldNoun: `${label}${suffix}`,
      report,
    });
  }
  const lower = (h: Obj | undefined) =>
    new Map(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), { name: k, header: v as Obj }]));
  const oh = lower(o.headers as Obj | undefined);
  const nh = lower(n.headers as Obj | undefined);
  for (const [key, { name }] of oh)
    if (!nh.has(key))
      say('response-header-removed', `response.${status}.header.${name}`, `${label} header ${name} removed`);
  for (const [key, { name, header }] of nh) {
    const before = oh.get(key);
    const where = `response.${status}.header.${name}`;
    if (!before) {
      say('response-header-added', where, `${label} header ${name} added`);
      continue;
    }
    if (canonical(before.header.description) !== canonical(header.description))
      say('response-annotation-changed', where, `${label} header ${name} description changed`);
    if (before.header.required === true && header.required !== true)
      say('response-header-now-optional', where, `${label} header ${name} is now optional`);
    const root = `${label} header ${name}`;
    compareSchema(before.header.schema, header.schema, {
      direction: 'response',
      location: where,
      root,
      fieldNoun: root,
      report,
    });
  }
}
