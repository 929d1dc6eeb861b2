import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemError } from '../problems/index.ts';
import { formatEtag, ifMatchAllows, parseIfMatch, preconditionFailed, preconditionRequired } from './etag.ts';

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

test('only whole strong tags of 1 to 9 digits are versions; other opaque tags match nothing', () => {
  assert.deepEqual(parseIfMatch('"12"'), { any: false, versions: [12] });
  assert.deepEqual(parseIfMatch('"123456789"'), { any: false, versions: [123_456_789] });
  for (const tag of ['"abc"', '"a1"', '"1a"', '"1234567890"', '""']) {
    assert.deepEqual(parseIfMatch(tag), { any: false, versions: [] }, tag);
  }
});

test('a repeated header is one list; * may carry spaces', () => {
  assert.deepEqual(parseIfMatch(['"3"', '"4"']), { any: false, versions: [3, 4] });
  assert.deepEqual(parseIfMatch(' * '), { any: true });
});

test('a tag with anything before or after its quotes is malformed, with the 400’s detail and pointer', () => {
  for (const bad of ['x"3"', '"3"x']) {
    assert.throws(
      () => parseIfMatch(bad),
      (e: unknown) =>
        e instanceof ProblemError &&
        e.slug === 'validation-failed' &&
        e.detail === 'If-Match must be * or a list of entity tags such as "3".' &&
        JSON.stringify(e.errors) ===
          '[{"pointer":"/if-match","message":"must be * or entity tags like \\"3\\"","in":"header"}]',
      bad,
    );
  }
});

test('412 and 428: their details and the current ETag', () => {
  const failed = preconditionFailed(7);
  assert.equal(failed.slug, 'precondition-failed');
  assert.equal(
    failed.detail,
    'If-Match does not match the current ETag "7"; re-read the resource and retry.',
  );
  assert.deepEqual(failed.extensions, { currentEtag: '"7"' });
  assert.deepEqual(failed.headers, { ETag: '"7"' });
  const required = preconditionRequired();
  assert.equal(required.slug, 'precondition-required');
  assert.equal(required.detail, 'Send If-Match with the ETag you last read, e.g. If-Match: "1".');
});
