/**
 * ETag / If-Match for versioned resources. A resource's ETag is its version as
 * a strong entity tag: `"7"`. `If-Match` takes `*` or a list of entity tags;
 * weak tags never match (RFC 9110 strong comparison).
 */
import { ProblemError } from '../problems/index.ts';

export type IfMatch = { any: true } | { any: false; versions: number[] };

export function formatEtag(version: number): string {
  return `"${version}"`;
}

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e]*)"$/;

/** undefined when the header is absent; a 400 problem when it is malformed. */
export function parseIfMatch(header: string | string[] | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (raw.trim() === '*') return { any: true };
  const versions: number[] = [];
  for (const part of raw.split(',')) {
    const match = ENTITY_TAG.exec(part.trim());
    if (!match) {
      throw new ProblemError('validation-failed', {
        detail: 'If-Match must be * or a list of entity tags such as "3".',
        errors: [{ pointer: '/if-match', message: 'must be * or entity tags like "3"', in: 'header' }],
      });
    }
    if (match[1]) continue; // weak: never matches
    if (/^\d{1,9}$/.test(match[2])) versions.push(Number(match[2]));
  }
  return { any: false, versions };
}

export function ifMatchAllows(ifMatch: IfMatch | undefined, version: number): boolean {
  if (!ifMatch || ifMatch.any) return true;
  return ifMatch.versions.includes(version);
}

/** The 412 a stale If-Match gets; the current ETag is in the body and the header. */
export function preconditionFailed(currentVersion: number): ProblemError {
  const etag = formatEtag(currentVersion);
  return new ProblemError('precondition-failed', {
    detail: `If-Match does not match the current ETag ${etag}; re-read the resource and retry.`,
    extensions: { currentEtag: etag },
    headers: { ETag: etag },
  });
}

export function preconditionRequired(): ProblemError {
  return new ProblemError('precondition-required', {
    detail: 'Send If-Match with the ETag you last read, e.g. If-Match: "1".',
  });
}
