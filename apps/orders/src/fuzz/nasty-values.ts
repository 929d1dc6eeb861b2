/**
 * The values a careless or hostile client sends: NUL, lone surrogates, huge
 * strings, numbers JSON cannot hold, wrong types, deep nesting. JSON values
 * here may contain `RawJson` tokens (text written into the body as is, e.g.
 * `1e400`) and `Deep` nodes (N levels of nesting, built only when rendered,
 * so fast-check can shrink the depth and print the counter-example).
 */
import fc from 'fast-check';

/** JSON text written verbatim into the body (a number JSON.stringify cannot produce). */
export interface RawJson {
  $raw: string;
}
/** `depth` levels of `[` or `{"a":` around `leaf`, rendered lazily. */
export interface Deep {
  $deep: number;
  shape: 'array' | 'object';
}
export type FuzzJson =
  | null
  | boolean
  | number
  | string
  | RawJson
  | Deep
  | FuzzJson[]
  | { [key: string]: FuzzJson };

const isRaw = (v: unknown): v is RawJson => typeof v === 'object' && v !== null && '$raw' in v;
const isDeep = (v: unknown): v is Deep => typeof v === 'object' && v !== null && '$deep' in v;

/** JSON text of a fuzz value (RawJson verbatim, Deep expanded iteratively). */
export function renderJson(value: FuzzJson): string {
  if (isRaw(value)) return value.$raw;
  if (isDeep(value)) {
    const [open, close] = value.shape === 'array' ? ['[', ']'] : ['{"a":', '}'];
    return `${open.repeat(value.$deep)}1${close.repeat(value.$deep)}`;
  }
  if (Array.isArray(value)) return `[${value.map(renderJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${renderJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short description for counter-examples: huge strings and deep nests are summarised. */
export function describeJson(value: FuzzJson): string {
  const text = renderJson(value);
  return text.length > 300 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
}

export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ufeff',
  '\u202e\u0041\u0042',
  '\u200b',
  '😀',
  'Ω≈ç√∫',
  '\r\n',
  '\t',
  '%ff',
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE orders; --',
  '<script>alert(1)</script>',
  `\${jndi:ldap://x}`,
  '__proto__',
  'constructor',
  'null',
  'true',
  'NaN',
  'Infinity',
  '-0',
  '1e400',
  'ord_00000000000000000000000000',
  'EUR',
  'SKU-1',
];

export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 6 },
    // what Postgres refuses (NUL, lone surrogates), somewhere inside an ordinary string
    {
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 8 }),
          fc.constantFrom('\u0000', '\ud800', '\udfff'),
          fc.string({ maxLength: 8 }),
        )
        .map(([a, bad, b]) => `${a}${bad}${b}`),
      weight: 3,
    },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
    { arbitrary: fc.constantFrom(1_000, 70_000, 2_000_000).map((n) => 'x'.repeat(n)), weight: 1 },
  );

export const NASTY_NUMBERS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '0.5',
  '-1',
  '0',
  '9007199254740993',
  '1.0',
  '1E2',
  '123456789012345678901234567890',
];

export const nastyNumber = (): fc.Arbitrary<FuzzJson> =>
  fc.oneof(
    fc.constantFrom(...NASTY_NUMBERS).map((raw): FuzzJson => ({ $raw: raw })),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
  );

export const deepValue = (): fc.Arbitrary<Deep> =>
  fc.record({
    $deep: fc.oneof(fc.constantFrom(5_000, 2_000, 100_000), fc.integer({ min: 1, max: 6_000 })),
    shape: fc.constantFrom('array' as const, 'object' as const),
  });

/** Any value of the wrong kind, for any place in a body. */
export const nastyValue = (): fc.Arbitrary<FuzzJson> =>
  fc.oneof(
    { arbitrary: nastyString(), weight: 4 },
    { arbitrary: nastyNumber(), weight: 2 },
    { arbitrary: fc.constantFrom<FuzzJson>(null, true, false, [], {}, [null], { '': '' }), weight: 2 },
    { arbitrary: deepValue(), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<FuzzJson>, weight: 2 },
  );

/** Bodies that are not JSON, or JSON the parser may choke on. */
export const RAW_BODIES = [
  '',
  ' ',
  '{',
  '}',
  '[',
  'null',
  '"a string"',
  '42',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\u0000',
  '{"currency":"EUR","items":[{"sku":"SKU-1","quantity":1}]} trailing',
  '\ufeff{}',
  'currency=EUR&items=1',
  '{"currency":"\\ud800","items":[]}',
  '{"currency":"EUR","items":[{"sku":"SKU-1","quantity":1e400}]}',
  '{"currency":"EUR","items":[{"sku":"SKU-1","quantity":1}],"metadata":{"a":"\\u0000"}}',
  '{"currency":"EUR","items":[{"sku":"SKU-1","quantity":1}],"metadata":{"a":"\\udc00"}}',
];

/** Values of path parameters and query strings, already URL text (may be badly encoded on purpose). */
export const RAW_URL_PIECES = [
  '%ff',
  '%',
  '%zz',
  '%c3',
  '%ed%a0%80',
  '%00',
  '%2F',
  '..',
  '%2e%2e',
  '\u00e9',
  encodeURIComponent('ördér-ü'),
  encodeURIComponent('😀'),
  'a'.repeat(101),
  `ord_${'0'.repeat(5_000)}`,
  'ORD_01J00000000000000000000000',
  '',
];

/** A header value chosen symbolically (resolved at run time) or given as text. */
export type HeaderChoice<T extends string> = T | { value: string };

/** What a real HTTP client can put in a header: visible Latin-1, spaces and tabs, trimmed. */
export const headerText = (maxLength = 60): fc.Arbitrary<string> =>
  fc
    .string({
      unit: fc
        .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom(0x09, 0xa0, 0xe9, 0xff))
        .map((c) => String.fromCharCode(c)),
      maxLength,
    })
    .map((s) => s.trim());

export const choice = <T extends string>(common: T[], specials: string[], weightCommon = 8) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...common), weight: weightCommon },
    {
      arbitrary: fc.oneof(fc.constantFrom(...specials), headerText()).map((value) => ({ value })),
      weight: 2,
    },
  ) as fc.Arbitrary<HeaderChoice<T>>;
