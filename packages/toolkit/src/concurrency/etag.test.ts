import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemError } from '../problems/index.ts';
import { formatEtag, ifMatchAllows, parseIfMatch } from './etag.ts';

test('formats and parses strong ETags', () => {
  assert.equal(formatEtag(3), '"3"');
  assert.deepEqual(parseIfMatch('"3"'), { any: false, versions: [3] });
  assert.deepEqual(parseIfMatch('"3", "4"'), { any: false, versions: [3, 4] });
  assert.deepEqual(parseIfMatch('*'), { any: true });
  assert.equal(parseIfMatch(undefined), undefined);
});

test('weak and foreign tags never match', () => {
  assert.equal(ifMatchAllows(parseIfMatch('W/"3"'), 3), false);
  assert.equal(ifMatchAllows(parseIfMatch('"abc"'), 3), false);
  assert.equal(ifMatchAllows(parseIfMatch('"3"'), 4), false);
  assert.equal(ifMatchAllows(parseIfMatch('"3"'), 3), true);
  assert.equal(ifMatchAllows(undefined, 9), true);
});

test('malformed If-Match is a 400 validation problem', () => {
  for (const bad of ['3', '"3', 'W/3', '"3",,']) {
    assert.throws(
      () => parseIfMatch(bad),
      (e: unknown) => e instanceof ProblemError && e.slug === 'validation-failed',
    );
  }
});
