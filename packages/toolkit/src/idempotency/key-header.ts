/**
 * The `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header):
 * 1–255 visible ASCII characters, sent bare (`abc`) or as a structured-field
 * string (`"abc"`, with `\"` and `\\` escapes).
 */

export type ParsedKey = { ok: true; key: string } | { ok: false; reason: string };

const BARE = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(header: string | string[] | undefined): ParsedKey | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return { ok: false, reason: 'send exactly one Idempotency-Key header' };
  const raw = header.trim();
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    const inner = raw.slice(1, -1);
    if (!/^(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*$/.test(inner)) {
      return { ok: false, reason: 'the quoted key has characters a structured-field string does not allow' };
    }
    const key = inner.replace(/\\(["\\])/g, '$1');
    if (key.length < 1 || key.length > 255) return { ok: false, reason: 'the key must be 1-255 characters' };
    return { ok: true, key };
  }
  if (!BARE.test(raw)) {
    return {
      ok: false,
      reason: 'the key must be 1-255 visible ASCII characters, bare or as a quoted string',
    };
  }
  return { ok: true, key: raw };
}
