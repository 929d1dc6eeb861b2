/** deprecationHeaders on its own: one set of fields for several deprecations — the earliest dates, every link once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deprecationHeaders } from './headers.ts';

const JAN_2027 = Date.UTC(2027, 0, 1); // @1798761600
const JUN_2027 = Date.UTC(2027, 5, 1);
const DEC_2027 = Date.UTC(2027, 11, 1);

test('no deprecation is a programming error', () => {
  assert.throws(() => deprecationHeaders([]), { message: 'deprecationHeaders: no deprecation given' });
});

test('one deprecation without a sunset: no Sunset field at all', () => {
  assert.deepEqual(deprecationHeaders([{ deprecatedAtMs: JAN_2027, sunsetAtMs: undefined, link: '/v' }]), {
    Deprecation: '@1798761600',
    Link: '</v>; rel="deprecation"',
  });
});

test('several: the earliest deprecation and the earliest sunset, sunsets that are not given left out', () => {
  const headers = deprecationHeaders([
    { deprecatedAtMs: JUN_2027, sunsetAtMs: DEC_2027, link: '/late' },
    { deprecatedAtMs: JAN_2027, sunsetAtMs: undefined, link: '/early' },
    { deprecatedAtMs: DEC_2027, sunsetAtMs: JUN_2027 + 86_400_000, link: '/later' },
  ]);
  assert.deepEqual(headers, {
    Deprecation: '@1798761600',
    Sunset: 'Wed, 02 Jun 2027 00:00:00 GMT',
    Link: '</late>; rel="deprecation", </early>; rel="deprecation", </later>; rel="deprecation"',
  });
});

test('the same link twice is named once', () => {
  assert.deepEqual(
    deprecationHeaders([
      { deprecatedAtMs: JAN_2027, sunsetAtMs: DEC_2027, link: 'https://example.com/up' },
      { deprecatedAtMs: JUN_2027, sunsetAtMs: undefined, link: 'https://example.com/up' },
    ]),
    {
      Deprecation: '@1798761600',
      Sunset: 'Wed, 01 Dec 2027 00:00:00 GMT',
      Link: '<https://example.com/up>; rel="deprecation"',
    },
  );
});
