/**
 * Request fingerprints: SHA-256 over canonical JSON of the parsed body plus
 * the path parameters. Object keys are sorted and whitespace does not exist
 * after parsing, so `{"a":1,"b":2}` and `{ "b": 2, "a": 1 }` are one request.
 * The walk is iterative (the problems block's walkJson), so a body nested
 * however deep cannot overflow the stack, with or without `jsonBody`.
 */
import { createHash } from 'node:crypto';
import { walkJson } from '../problems/index.ts';

export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  walkJson(
    value,
    {
      enter(current, step) {
        if (step.hasPrevious) out.push(',');
        if (step.key !== undefined && !step.inArray) out.push(`${JSON.stringify(step.key)}:`);
        if (current === null || typeof current !== 'object') out.push(JSON.stringify(current) ?? 'null');
        else out.push(Array.isArray(current) ? '[' : '{');
        return undefined;
      },
      leave(_container, isArray) {
        out.push(isArray ? ']' : '}');
      },
    },
    { sortKeys: true },
  );
  return out.join('');
}

export function requestFingerprint(body: unknown, params: unknown): Buffer {
  return createHash('sha256')
    .update(canonicalJson({ body: body ?? null, params: params ?? {} }))
    .digest();
}
