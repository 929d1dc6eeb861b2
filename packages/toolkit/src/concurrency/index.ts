/** @steadfast/toolkit/concurrency: ETag and If-Match helpers for optimistic concurrency. */
export type { IfMatch } from './etag.ts';
export { formatEtag, ifMatchAllows, parseIfMatch, preconditionFailed, preconditionRequired } from './etag.ts';
