/** versioningProblems: the three problem types exactly as clients see them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versioningProblems } from './problems.ts';

test('version-unsupported, version-sunset and endpoint-sunset, in that order, field by field', () => {
  assert.deepEqual(versioningProblems, [
    {
      slug: 'version-unsupported',
      status: 400,
      title: 'Unsupported API version',
      category: 'validation',
      retryable: false,
      description:
        'The version header (or the version pinned for you) is not a version of this API: not a date in `YYYY-MM-DD` form, not a real date, older than the first version, or a date that is not one of the versions. Nothing was done. `supportedVersions` lists the versions you can send; send one of them, or no header to get your pinned version.',
    },
    {
      slug: 'version-sunset',
      status: 410,
      title: 'This API version has been switched off',
      category: 'validation',
      retryable: false,
      description:
        'The version you asked for (or the one pinned for you) reached its sunset date and is no longer served. Nothing was done. Upgrade: the answer names `newestVersion`, and the `Link` header with `rel="deprecation"` points at the upgrade notes; send the version header with a supported version.',
    },
    {
      slug: 'endpoint-sunset',
      status: 410,
      title: 'This endpoint has been switched off',
      category: 'not-found',
      retryable: false,
      description:
        'This endpoint was deprecated and reached its sunset date; it no longer answers, in any version. Nothing was done. The `Link` header with `rel="deprecation"` points at what replaces it.',
    },
  ]);
});
