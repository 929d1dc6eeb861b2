/**
 * A verified delivery's bytes → its payload, or why it cannot be used. The
 * bytes must be UTF-8 and JSON, and the JSON must follow the same rules as API
 * bodies (json-rules: nesting, no U+0000, no lone surrogates), so that what is
 * stored as `received` can be stored in jsonb and served back by any reader.
 */
import { jsonRuleIssues } from '../problems/index.ts';

export type ReadBody =
  | { ok: true; payload: unknown; eventType: string | null }
  | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A reason stored in a text column: no NUL, well-formed, bounded. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').toWellFormed().slice(0, 500);
}

export function readBody(raw: Buffer, maxDepth: number): ReadBody {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'unparseable body' };
  }
  const issues = jsonRuleIssues(payload, { maxDepth, maxIssues: 1 });
  if (issues.length > 0)
    return { ok: false, reason: storable(`body ${issues[0].pointer || '/'} ${issues[0].message}`) };
  const type = (payload as { type?: unknown } | null)?.type;
  return { ok: true, payload, eventType: typeof type === 'string' ? type : null };
}
