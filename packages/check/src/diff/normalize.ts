/**
 * One spelling per schema before comparing: the several ways OpenAPI 3.0 and
 * 3.1 say "nullable", "one value" or "exclusive bound" become one, and allOf
 * parts are merged, so that only real differences are reported.
 */
type Schema = Record<string, unknown>;

/** a stable text form, for comparing values whatever their key order */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Schema)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}

export const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function isNullOnly(s: Schema): boolean {
  return (
    same(s.type, 'null') ||
    same(s.type, ['null']) ||
    same(s.enum, [null]) ||
    ('const' in s && s.const === null)
  );
}

/**
 * One shape per schema: `type` a list without "null" (undefined: any), `nullable`
 * a boolean (from `type`, 3.0 `nullable`, a null enum value or anyOf/oneOf
 * branch), `const` as a one-value enum, 3.0 boolean exclusive bounds as 3.1
 * numbers, allOf merged, an anyOf/oneOf with one non-null branch merged in.
 */
export function flatten(input: Schema): Schema {
  const s: Schema = { ...input };
  let nullable = s.nullable === true;
  let types =
    typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? (s.type as string[]) : undefined;
  if (types?.includes('null')) {
    nullable = true;
    types = types.filter((t) => t !== 'null');
  }
  if ('const' in s) {
    s.enum = [s.const];
    delete s.const;
  }
  if (Array.isArray(s.enum) && s.enum.includes(null)) {
    nullable = true;
    s.enum = s.enum.filter((v) => v !== null);
  }
  for (const [bound, plain] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ]) {
    if (s[bound] === true) {
      s[bound] = s[plain];
      delete s[plain];
    } else if (s[bound] === false) delete s[bound];
  }
  delete s.type;
  delete s.nullable;
  let out: Schema = { ...s, nullable };
  if (types) out.type = types;
  if (Array.isArray(out.allOf)) {
    const parts = (out.allOf as Schema[]).map(flatten);
    delete out.allOf;
    for (const part of parts) out = intersect(out, part);
  }
  for (const key of ['anyOf', 'oneOf']) {
    if (!Array.isArray(out[key])) continue;
    const list = out[key] as Schema[];
    delete out[key];
    const rest = list.filter((b) => !isNullOnly(b));
    const withNull = rest.length < list.length;
    if (rest.length === 1) out = intersect(out, flatten(rest[0]));
    else if (rest.length > 1) out[key] = rest;
    if (withNull) out.nullable = true;
  }
  return out;
}

function intersect(a: Schema, b: Schema): Schema {
  const out: Schema = { ...b, ...a };
  const ta = a.type as string[] | undefined;
  const tb = b.type as string[] | undefined;
  if (ta && tb) {
    out.type = ta
      .filter((t) => accepts(tb, t))
      .concat(tb.filter((t) => t === 'integer' && ta.includes('number')));
    out.nullable = a.nullable === true && b.nullable === true;
  } else if (tb) {
    out.type = tb;
    out.nullable = b.nullable;
  } else out.nullable = a.nullable === true || b.nullable === true;
  if (a.properties || b.properties)
    out.properties = { ...(b.properties as Schema), ...(a.properties as Schema) };
  if (a.required || b.required)
    out.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
  return out;
}

export function accepts(types: string[] | undefined, type: string): boolean {
  return !types || types.includes(type) || (type === 'integer' && types.includes('number'));
}
