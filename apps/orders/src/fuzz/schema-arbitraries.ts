/**
 * JSON Schema (the subset our OpenAPI document uses) → fast-check arbitraries:
 * `validValue` follows the schema, `mutatedValue` breaks it in one or more
 * places (a nasty value somewhere, a required field gone, an unknown one added).
 */
import fc from 'fast-check';
import { type FuzzJson, nastyValue } from './nasty-values.ts';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: { pattern?: string };
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

/** Values that satisfy the schema (kept small: at most 4 array items, 5 extra keys). */
export function validValue(schema: JsonSchema): fc.Arbitrary<FuzzJson> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(validValue));
  if (schema.enum) return fc.constantFrom(...(schema.enum as FuzzJson[]));
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => validValue({ ...schema, type })));
  }
  switch (schema.type) {
    case 'object':
      return validObject(schema);
    case 'array':
      return fc.array(validValue(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<FuzzJson>;
  }
}

export function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const maxLength = schema.maxLength ?? 40;
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= maxLength);
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(maxLength, 40) });
}

function validObject(schema: JsonSchema): fc.Arbitrary<FuzzJson> {
  const properties = schema.properties ?? {};
  const known = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, validValue(s)])),
    { requiredKeys: schema.required ?? [] },
  ) as fc.Arbitrary<Record<string, FuzzJson>>;
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object') return known;
  const keys = schema.propertyNames?.pattern
    ? fc.stringMatching(new RegExp(schema.propertyNames.pattern))
    : fc.string({ minLength: 1, maxLength: 20 });
  const maxKeys = Math.min(schema.maxProperties ?? 5, 5);
  return fc
    .tuple(known, fc.dictionary(keys, validValue(extra), { maxKeys }))
    .map(([a, b]) => ({ ...b, ...a }));
}

type Mutation =
  | { op: 'replace'; at: number; value: FuzzJson }
  | { op: 'drop'; at: number }
  | { op: 'add'; at: number; key: string; value: FuzzJson };

const mutation = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: nastyValue() }),
      weight: 5,
    },
    { arbitrary: fc.record({ op: fc.constant('drop' as const), at: fc.nat() }), weight: 1 },
    {
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        at: fc.nat(),
        key: fc.oneof(
          fc.constantFrom('unknown', '__proto__', 'constructor', '', '\u0000', 'id'),
          fc.string(),
        ),
        value: nastyValue(),
      }),
      weight: 1,
    },
  );

/** Every container path of a value, root first: where mutations can apply. */
function containers(value: FuzzJson, path: (string | number)[] = [], out: (string | number)[][] = []) {
  if (value !== null && typeof value === 'object' && !('$raw' in value) && !('$deep' in value)) {
    out.push(path);
    for (const [k, v] of Object.entries(value))
      containers(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

/** Set an own property, `__proto__` included (plain assignment would change the prototype). */
const put = (target: object, key: string, value: FuzzJson) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

function apply(root: FuzzJson, m: Mutation): FuzzJson {
  const copy = structuredClone(root);
  const spots = containers(copy);
  if (spots.length === 0) return m.op === 'drop' ? copy : m.value;
  const path = spots[m.at % spots.length] as (string | number)[];
  let target: unknown = copy;
  for (const step of path) target = Object.getOwnPropertyDescriptor(target, step)?.value;
  if (typeof target !== 'object' || target === null) return copy;
  const keys = Object.keys(target);
  if (m.op === 'add') {
    if (Array.isArray(target)) target.push(m.value);
    else put(target, m.key, m.value);
  } else if (keys.length === 0) {
    if (m.op === 'replace' && path.length === 0) return m.value;
  } else if (m.op === 'drop') {
    const key = keys[m.at % keys.length] as string;
    if (Array.isArray(target)) target.splice(Number(key), 1);
    else Reflect.deleteProperty(target, key);
  } else {
    put(target, keys[m.at % keys.length] as string, m.value);
  }
  return copy;
}

/** A valid value broken by 1–3 mutations. */
export const mutatedValue = (schema: JsonSchema): fc.Arbitrary<FuzzJson> =>
  fc
    .tuple(validValue(schema), fc.array(mutation(), { minLength: 1, maxLength: 3 }))
    .map(([value, mutations]) => mutations.reduce(apply, value));
