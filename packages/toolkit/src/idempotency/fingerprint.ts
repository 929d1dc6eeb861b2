/**
 * Request fingerprints: SHA-256 over canonical JSON of the parsed body plus
 * the path parameters. Object keys are sorted and whitespace does not exist
 * after parsing, so `{"a":1,"b":2}` and `{ "b": 2, "a": 1 }` are one request.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function requestFingerprint(body: unknown, params: unknown): Buffer {
  return createHash('sha256')
    .update(canonicalJson({ body: body ?? null, params: params ?? {} }))
    .digest();
}
