/** dates.ts on its own: which strings are version dates, which are RFC 3339 timestamps, and the two header date formats. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatHttpDate, formatStructuredDate, isVersionDate, timestampMs } from './dates.ts';

describe('isVersionDate', () => {
  test('real calendar days in YYYY-MM-DD form are version dates', () => {
    for (const value of ['2026-06-01', '2024-02-29', '2026-12-31', '1999-01-01'])
      assert.equal(isVersionDate(value), true, value);
  });

  test('anything around or inside the YYYY-MM-DD form is not', () => {
    for (const value of ['x2026-06-01', '2026-06-01x', ' 2026-06-01', '2026-6-01', '2026-06-1', '26-06-01'])
      assert.equal(isVersionDate(value), false, value);
  });

  test('days that overflow their month or year are not', () => {
    for (const value of ['2026-02-29', '2026-04-31', '2026-01-32', '2026-03-00', '2026-00-15', '2026-13-01'])
      assert.equal(isVersionDate(value), false, value);
  });

  test('years 0000-0099 are not (Date.UTC would read them as 1900-1999)', () => {
    for (const value of ['0050-06-01', '0099-12-31', '0000-01-01'])
      assert.equal(isVersionDate(value), false, value);
  });
});

describe('timestampMs', () => {
  test('an RFC 3339 timestamp → its milliseconds', () => {
    assert.equal(timestampMs('2026-01-01T00:00:00Z', 'at'), 1767225600000);
    assert.equal(timestampMs('2026-01-01T01:00:00+01:00', 'at'), 1767225600000);
  });

  test('what Date.parse accepts but is not an RFC 3339 timestamp is refused, naming `what`', () => {
    const cases: [string, string][] = [
      ['2026-01-01', 'x.sunsetAt: "2026-01-01" is not an RFC 3339 timestamp'],
      ['2026-01-01 00:00:00Z', 'x.sunsetAt: "2026-01-01 00:00:00Z" is not an RFC 3339 timestamp'],
      ['January 1, 2026', 'x.sunsetAt: "January 1, 2026" is not an RFC 3339 timestamp'],
      ['+002026-01-01T00:00:00Z', 'x.sunsetAt: "+002026-01-01T00:00:00Z" is not an RFC 3339 timestamp'],
    ];
    for (const [value, message] of cases)
      assert.throws(() => timestampMs(value, 'x.sunsetAt'), { message }, value);
  });

  test('the timestamp form with an impossible date is refused too', () => {
    assert.throws(() => timestampMs('2026-13-01T00:00:00Z', 'w'), {
      message: 'w: "2026-13-01T00:00:00Z" is not an RFC 3339 timestamp',
    });
  });
});

describe('header date formats', () => {
  test('Deprecation: "@" and whole seconds, rounded down', () => {
    assert.equal(formatStructuredDate(1796083200999), '@1796083200');
    assert.equal(formatStructuredDate(1500), '@1');
  });

  test('Sunset: an IMF-fixdate', () => {
    assert.equal(formatHttpDate(Date.UTC(2027, 5, 1)), 'Tue, 01 Jun 2027 00:00:00 GMT');
  });
});
