/**
 * Compare two JSON Schemas (refs already resolved) the way a client feels the
 * difference: in a request the server must accept at least what it accepted,
 * in a response it must send nothing the client was not told about. Every
 * difference is reported, classified by SCHEMA_RULES.
 */
import { accepts, canonical, flatten } from './normalize.ts';
import { SCHEMA_RULES } from './rules.ts';

type Schema = Record<string, unknown>;

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

export type Report = (breaking: boolean, kind: string, location: string, message: string) => void;

export interface SchemaSide {
  direction: 'request' | 'response';
  /** where the schema sits: 'request.body', 'response.200.body', 'request.query.limit' */
  location: string;
  /** how a message names the schema itself: 'request body', 'query parameter "limit"' */
  root: string;
  /** how a message names a field inside it: 'response' gives 'response field "total"' */
  fieldNoun: string;
  report: Report;
}

const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const HANDLED = new Set([
  'type',
  'nullable',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'format',
  'pattern',
  'default',
  'propertyNames',
  'uniqueItems',
  'multipleOf',
  ...LOWER,
  ...UPPER,
]);
const ANNOTATIONS = new Set([
  'description',
  'title',
  'example',
  'examples',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  'externalDocs',
  'xml',
  '$id',
  '$schema',
  '$anchor',
]);

export function compareSchema(oldSchema: unknown, newSchema: unknown, side: SchemaSide): void {
  walk(asSchema(oldSchema), asSchema(newSchema), side, '');
}

function asSchema(value: unknown): Schema {
  if (value === true || value === undefined) return {};
  if (value === false) return { not: {} };
  return value as Schema;
}

const typeText = (s: Schema) =>
  ((s.type as string[] | undefined)?.join(' | ') || 'any') + (s.nullable ? ' | null' : '');
const alternatives = (s: Schema) => (s.anyOf ?? s.oneOf) as Schema[] | undefined;

function join(field: string, child: string): string {
  if (child === '[]') return `${field}[]`;
  return field ? `${field}.${child}` : child;
}

function walk(oldRaw: Schema, newRaw: Schema, side: SchemaSide, field: string): void {
  const o = flatten(oldRaw);
  const n = flatten(newRaw);
  const locate = (f: string) => (f ? `${side.location}${f.startsWith('[') ? '' : '.'}${f}` : side.location);
  const name = (f: string) => (f ? `${side.fieldNoun} field "${f}"` : side.root);
  const sayAt = (f: string, kind: string, message: string) =>
    side.report(SCHEMA_RULES[kind][side.direction], kind, locate(f), `${name(f)} ${message}`);
  const say = (kind: string, message: string) => sayAt(field, kind, message);
  const request = side.direction === 'request';

  const oAlt = alternatives(o);
  const nAlt = alternatives(n);
  if (oAlt || nAlt) {
    if (o.nullable !== n.nullable)
      say(
        n.nullable ? 'nullable-added' : 'nullable-removed',
        n.nullable ? 'may now be null' : 'is no longer nullable',
      );
    const strip = (s: Schema) => {
      const { anyOf: _a, oneOf: _o, nullable: _n, description: _d, title: _t, ...rest } = s;
      return rest;
    };
    const ob = oAlt ?? [strip(o)];
    const nb = nAlt ?? [strip(n)];
    for (let i = 0; i < Math.max(ob.length, nb.length); i++) {
      if (i >= ob.length) say('alternative-added', `has a new alternative (${typeText(flatten(nb[i]))})`);
      else if (i >= nb.length)
        say('alternative-removed', `no longer has alternative ${i + 1} (${typeText(flatten(ob[i]))})`);
      else walk(ob[i], nb[i], side, field);
    }
    leftovers(o, n, say);
    return;
  }

  // types
  const ot = o.type as string[] | undefined;
  const nt = n.type as string[] | undefined;
  const added = nt ? nt.filter((t) => !accepts(ot, t)) : ot ? ['any'] : [];
  const removed = ot ? ot.filter((t) => !accepts(nt, t)) : nt ? ['any'] : [];
  if (added.length && removed.length) {
    say('type-changed', `type changed from ${typeText(o)} to ${typeText(n)}`);
    return; // the rest compares unlike things
  }
  if (removed.length) say('type-narrowed', `type narrowed from ${typeText(o)} to ${typeText(n)}`);
  if (added.length) say('type-widened', `type widened from ${typeText(o)} to ${typeText(n)}`);
  if (ot && nt && o.nullable !== n.nullable)
    say(
      n.nullable ? 'nullable-added' : 'nullable-removed',
      n.nullable ? 'may now be null' : 'is no longer nullable',
    );

  // enum
  const oe = o.enum as unknown[] | undefined;
  const ne = n.enum as unknown[] | undefined;
  if (!oe && ne) say('enum-added', `is now restricted to ${ne.map((v) => JSON.stringify(v)).join(', ')}`);
  else if (oe && !ne) say('enum-removed', 'is no longer restricted to a list of values');
  else if (oe && ne) {
    for (const v of oe)
      if (!ne.some((w) => same(v, w)))
        say('enum-value-removed', `no longer ${request ? 'accepts' : 'returns'} ${JSON.stringify(v)}`);
    for (const v of ne)
      if (!oe.some((w) => same(v, w)))
        say(
          'enum-value-added',
          request ? `now accepts ${JSON.stringify(v)}` : `may now be ${JSON.stringify(v)} (a new enum value)`,
        );
  }

  // object fields
  if (o.properties || n.properties) {
    const op = (o.properties ?? {}) as Record<string, Schema>;
    const np = (n.properties ?? {}) as Record<string, Schema>;
    const oReq = new Set((o.required as string[]) ?? []);
    const nReq = new Set((n.required as string[]) ?? []);
    const closed = n.additionalProperties === false;
    for (const key of Object.keys(op))
      if (!(key in np)) {
        const f = join(field, key);
        const breaking = request ? closed : true;
        side.report(
          breaking,
          'field-removed',
          locate(f),
          `${name(f)} removed${request ? (closed ? ' (a client still sending it is refused)' : ' (ignored if sent)') : ''}`,
        );
      }
    for (const key of Object.keys(np))
      if (!(key in op)) {
        const required = request && nReq.has(key);
        sayAt(
          join(field, key),
          required ? 'required-field-added' : 'field-added',
          required ? 'added, required' : 'added',
        );
      }
    for (const key of Object.keys(np)) {
      if (!(key in op)) continue;
      const f = join(field, key);
      if (!oReq.has(key) && nReq.has(key)) sayAt(f, 'field-now-required', 'is now required');
      if (oReq.has(key) && !nReq.has(key)) sayAt(f, 'field-now-optional', 'is now optional');
      walk(op[key], np[key], side, f);
    }
  }
  const oap = o.additionalProperties;
  const nap = n.additionalProperties;
  if (oap !== false && nap === false)
    say(
      'additional-properties-forbidden',
      request ? 'no longer accepts unknown fields' : 'no longer has other fields',
    );
  if (oap === false && nap !== false)
    say(
      'additional-properties-allowed',
      request ? 'now accepts unknown fields' : 'may now have other fields',
    );
  if (oap !== false && nap !== false && (typeof oap === 'object' || typeof nap === 'object'))
    walk(asSchema(oap), asSchema(nap), side, join(field, '*'));
  if (o.propertyNames !== undefined || n.propertyNames !== undefined)
    walk(asSchema(o.propertyNames), asSchema(n.propertyNames), side, join(field, '(keys)'));
  if (o.items !== undefined || n.items !== undefined)
    walk(asSchema(o.items), asSchema(n.items), side, join(field, '[]'));

  // ranges
  for (const key of [...LOWER, ...UPPER]) {
    const a = o[key] as number | undefined;
    const b = n[key] as number | undefined;
    if (a === b) continue;
    const lower = LOWER.includes(key);
    const narrowed = a === undefined || (b !== undefined && (lower ? b > a : b < a));
    const text =
      a === undefined
        ? `${key} ${b} added`
        : b === undefined
          ? `${key} ${a} removed`
          : `${key} ${b > a ? 'raised' : 'lowered'} from ${a} to ${b}`;
    say(narrowed ? 'range-narrowed' : 'range-widened', text);
  }
  if (o.multipleOf !== n.multipleOf) {
    const a = o.multipleOf as number | undefined;
    const b = n.multipleOf as number | undefined;
    const kind =
      a === undefined || (b !== undefined && b % a === 0)
        ? 'range-narrowed'
        : b === undefined || a % b === 0
          ? 'range-widened'
          : 'range-changed';
    say(kind, `multipleOf ${a ?? 'none'} → ${b ?? 'none'}`);
  }
  if (Boolean(o.uniqueItems) !== Boolean(n.uniqueItems))
    say(
      n.uniqueItems ? 'range-narrowed' : 'range-widened',
      n.uniqueItems ? 'items must now be unique' : 'items may now repeat',
    );

  // strings
  if (o.pattern !== n.pattern) {
    if (o.pattern === undefined) say('pattern-added', `pattern ${n.pattern} added`);
    else if (n.pattern === undefined) say('pattern-removed', `pattern ${o.pattern} removed`);
    else say('pattern-changed', `pattern changed from ${o.pattern} to ${n.pattern}`);
  }
  if (o.format !== n.format) {
    if (o.format === undefined) say('format-added', `format ${n.format} added`);
    else if (n.format === undefined) say('format-removed', `format ${o.format} removed`);
    else say('format-changed', `format changed from ${o.format} to ${n.format}`);
  }
  if (!same(o.default, n.default)) {
    if (o.default !== undefined && n.default !== undefined)
      say(
        'default-changed',
        `default changed from ${JSON.stringify(o.default)} to ${JSON.stringify(n.default)}`,
      );
    else say('annotation-changed', `default ${n.default === undefined ? 'removed' : 'added'}`);
  }
  leftovers(o, n, say);
}

/** keywords no rule above covers: annotations are not breaking, anything else is flagged for review */
function leftovers(o: Schema, n: Schema, say: (kind: string, message: string) => void): void {
  for (const key of new Set([...Object.keys(o), ...Object.keys(n)])) {
    if (HANDLED.has(key) || same(o[key], n[key])) continue;
    if (ANNOTATIONS.has(key) || key.startsWith('x-')) say('annotation-changed', `${key} changed`);
    else say('schema-changed', `${key} changed (not classified: review it)`);
  }
}
