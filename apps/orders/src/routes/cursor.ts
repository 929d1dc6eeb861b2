/** Opaque cursors: the last id of a page, base64url-encoded and checked on the way back. */
import { idPattern } from '@steadfast/toolkit/ids';
import { ProblemError } from '@steadfast/toolkit/problems';

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
