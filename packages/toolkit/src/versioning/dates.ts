/** API version dates (`YYYY-MM-DD`) and the HTTP date formats of the deprecation header fields. */

const VERSION_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** true for `YYYY-MM-DD` naming a real calendar day (`2026-02-30` and `2026-13-01` are not) */
export function isVersionDate(value: string): boolean {
  const match = VERSION_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** milliseconds of an RFC 3339 timestamp; throws naming `what` when it is not one */
export function timestampMs(value: string, what: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`${what}: "${value}" is not an RFC 3339 timestamp`);
  return ms;
}

/** RFC 9745 `Deprecation`: a Structured Field Date, `@` and whole seconds since the epoch */
export function formatStructuredDate(ms: number): string {
  return `@${Math.floor(ms / 1000)}`;
}

/** RFC 8594 `Sunset`: an HTTP-date in IMF-fixdate form, e.g. `Tue, 01 Jun 2027 00:00:00 GMT` */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
