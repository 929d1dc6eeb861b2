/**
 * Pages of lists: an optional `limit` (1–100, default 20) and opaque cursors —
 * the last id of a page, base64url-encoded and checked on the way back.
 */
import { idPattern } from '@steadfast/toolkit/ids';
import { ProblemError } from '@steadfast/toolkit/problems';
import { Type } from 'typebox';

export const DEFAULT_PAGE_LIMIT = 20;

/** The `limit` query parameter of every list: optional, so clients may leave it out. */
export const PageLimit = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_LIMIT, description: 'items per page' }),
);

/**
 * One page of rows fetched newest first with `LIMIT limit + 1`: the first
 * `limit` rows, and the cursor of the next page when the extra row came back.
 */
export function pageOf<T extends { id: string }>(
  rows: T[],
  limit = DEFAULT_PAGE_LIMIT,
): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!new RegExp(idPattern(prefix)).test(id)) {
    throw new ProblemError('validation-failed', {
      detail: 'cursor is not one this API returned; use nextCursor from the previous page.',
      errors: [{ pointer: '/cursor', message: 'is not a valid cursor', in: 'query' }],
    });
  }
  return id;
}
