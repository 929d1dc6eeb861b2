/**
 * `x-replay-omits` on an operation: members an idempotent replay leaves out or nulls by design
 * (a secret shown once and never stored). The replay checks compare answers without them.
 */

/** the same body, byte for byte — or the same without the members the document says a replay omits (`x-replay-omits`: pointers or top-level names) */
export function sameAnswer(first: string, again: string, omits: readonly string[]): boolean {
  if (first === again) return true;
  if (omits.length === 0) return false;
  const a = canonicalAnswer(first, omits);
  return a === canonicalAnswer(again, omits);
}

/** the body without the members a replay omits (unchanged when there are none, or it is not JSON) */
export function canonicalAnswer(body: string, omits: readonly string[]): string {
  if (omits.length === 0) return body;
  try {
    const strip = (text: string) => {
      const value = JSON.parse(text) as Record<string, unknown>;
      for (const pointer of omits) {
        // an RFC 6901 pointer (`/created/apiKey`) or a top-level member name
        const path = pointer.startsWith('/') ? pointer.slice(1).split('/') : [pointer];
        let parent: unknown = value;
        for (const step of path.slice(0, -1))
          parent = (parent as Record<string, unknown> | undefined)?.[step];
        if (parent && typeof parent === 'object')
          delete (parent as Record<string, unknown>)[path[path.length - 1]];
      }
      return JSON.stringify(value);
    };
    return strip(body);
  } catch {
    return body;
  }
}
