/**
 * The deprecation header fields: `Deprecation` (RFC 9745, a Structured Field
 * Date: `@` and epoch seconds), `Sunset` (RFC 8594, an IMF-fixdate HTTP-date)
 * and `Link: <…>; rel="deprecation"` (RFC 9745 §3).
 */
import { formatHttpDate, formatStructuredDate } from './dates.ts';
import type { DeprecationTimes } from './versions.ts';

export interface DeprecationHeaders {
  Deprecation: string;
  Sunset?: string;
  Link: string;
}

/** One set of fields for every deprecation that applies (a version's and an endpoint's): the earliest dates, every link. */
export function deprecationHeaders(deprecations: readonly DeprecationTimes[]): DeprecationHeaders {
  if (deprecations.length === 0) throw new Error('deprecationHeaders: no deprecation given');
  const deprecatedAtMs = Math.min(...deprecations.map((d) => d.deprecatedAtMs));
  const sunsets = deprecations.flatMap((d) => (d.sunsetAtMs === undefined ? [] : [d.sunsetAtMs]));
  const links = [...new Set(deprecations.map((d) => d.link))];
  return {
    Deprecation: formatStructuredDate(deprecatedAtMs),
    ...(sunsets.length ? { Sunset: formatHttpDate(Math.min(...sunsets)) } : {}),
    Link: links.map((link) => `<${link}>; rel="deprecation"`).join(', '),
  };
}
