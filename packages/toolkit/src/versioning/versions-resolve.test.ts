/** defineApiVersions: resolution edges (a custom header, blank and pinned values), what each translation is given, changes without a translation, unknown versions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestChangeContext, ResponseChangeContext } from './changes.ts';
import { defineApiVersions } from './versions.ts';

const VERSIONS = ['2026-06-01', '2026-09-01', '2026-12-01'];

describe('resolve', () => {
  const custom = defineApiVersions({ header: 'Api-Version', versions: VERSIONS });

  test('a custom header is named in the detail and the error pointer', () => {
    assert.equal(custom.header, 'Api-Version');
    const { problem } = custom.resolve('2026-07-01');
    assert.equal(
      problem?.detail,
      'Api-Version 2026-07-01 is not a version of this API. Supported versions: 2026-06-01, 2026-09-01, 2026-12-01.',
    );
    assert.deepEqual(problem?.errors, [
      {
        in: 'header',
        pointer: '/api-version',
        message: 'Api-Version 2026-07-01 is not a version of this API.',
      },
    ]);
  });

  test('a header of blanks is empty', () => {
    assert.equal(custom.resolve('   ').problem?.errors?.[0].message, 'Api-Version is empty.');
  });

  test('the first version itself is a version, the day before it is older', () => {
    assert.deepEqual(custom.resolve('2026-06-01'), { version: '2026-06-01', source: 'header' });
    assert.equal(
      custom.resolve('2026-05-31').problem?.errors?.[0].message,
      'Api-Version 2026-05-31 is older than the first version of this API (2026-06-01).',
    );
    assert.equal(
      custom.resolve('2026-12-02').problem?.errors?.[0].message,
      'Api-Version 2026-12-02 is not a version of this API.',
    );
  });

  test('a bad pinned version: the problem names the pinned version, pointing at the header', () => {
    const { problem, version } = custom.resolve(undefined, 'not-a-date');
    assert.equal(version, undefined);
    assert.equal(problem?.slug, 'version-unsupported');
    assert.deepEqual(problem?.errors, [
      {
        in: 'header',
        pointer: '/api-version',
        message: 'The pinned version "not-a-date" is not a date in YYYY-MM-DD form.',
      },
    ]);
  });

  test('an empty header is checked, not taken for an absent one', () => {
    assert.equal(custom.resolve('', '2026-09-01').problem?.slug, 'version-unsupported');
    assert.deepEqual(custom.resolve(undefined, '2026-06-01'), { version: '2026-06-01', source: 'pinned' });
  });

  test('the versions list is a copy of the one given', () => {
    const given = ['2026-06-01', '2026-12-01'];
    const versions = defineApiVersions({ versions: given });
    given.push('2027-01-01');
    assert.deepEqual(versions.versions, ['2026-06-01', '2026-12-01']);
    assert.equal(versions.newest, '2026-12-01');
  });
});

describe('what the translations are given', () => {
  const requests: RequestChangeContext[] = [];
  const responses: ResponseChangeContext[] = [];
  const versions = defineApiVersions({
    versions: VERSIONS,
    changes: [
      {
        version: '2026-12-01',
        description: 'records its contexts',
        routes: ['POST /notes/:id'],
        request: (body, context) => {
          requests.push(context);
          return { ...body, up: true };
        },
        response: (body, context) => {
          responses.push(context);
          return { ...body, down: true };
        },
      },
      // no translation of its own: skipped everywhere
      { version: '2026-09-01', description: 'documentation only', routes: ['*'] },
    ],
  });

  test('a request change gets the version, method and route', () => {
    assert.deepEqual(versions.transformRequest('2026-06-01', { method: 'POST', route: '/notes/:id' }, {}), {
      up: true,
    });
    assert.deepEqual(requests, [{ version: '2026-06-01', method: 'POST', route: '/notes/:id' }]);
  });

  test('a response change also gets the status, and problem (false unless said)', () => {
    responses.length = 0;
    const at = { method: 'POST', route: '/notes/:id', status: 201 };
    assert.deepEqual(versions.transformResponse('2026-09-01', at, {}), { down: true });
    assert.deepEqual(versions.transformResponse('2026-09-01', { ...at, status: 409, problem: true }, {}), {
      down: true,
    });
    assert.deepEqual(responses, [
      { version: '2026-09-01', method: 'POST', route: '/notes/:id', status: 201, problem: false },
      { version: '2026-09-01', method: 'POST', route: '/notes/:id', status: 409, problem: true },
    ]);
  });

  test('a change without a request, response or events translation leaves the body alone', () => {
    const body = { id: 'n1' };
    const at = { method: 'GET', route: '/other', status: 200 };
    assert.equal(versions.touches('2026-06-01', 'GET', '/other'), true);
    assert.equal(versions.transformRequest('2026-06-01', at, body), body);
    assert.equal(versions.transformResponse('2026-06-01', at, body), body);
    assert.equal(versions.transformEvent('2026-06-01', 'note.created', body), body);
  });

  test('the same route asked twice gets the same answer (the per-route cache)', () => {
    assert.equal(versions.touches('2026-09-01', 'POST', '/notes/:id'), true);
    assert.equal(versions.touches('2026-09-01', 'POST', '/notes/:id'), true);
    assert.equal(versions.touches('2026-09-01', 'GET', '/notes/:id'), false);
    assert.equal(versions.touches('2026-09-01', 'GET', '/notes/:id'), false);
  });
});

describe('an unknown version is a programming error', () => {
  const versions = defineApiVersions({ versions: VERSIONS });
  const message = 'unknown API version 2026-07-01';
  const at = { method: 'GET', route: '/x', status: 200 };

  test('in every translation and in documentFor', () => {
    assert.throws(() => versions.touches('2026-07-01', 'GET', '/x'), { message });
    assert.throws(() => versions.transformRequest('2026-07-01', at, {}), { message });
    assert.throws(() => versions.transformResponse('2026-07-01', at, {}), { message });
    assert.throws(() => versions.transformEvent('2026-07-01', 'x', {}), { message });
    assert.throws(() => versions.documentFor('2026-07-01', {}), { message });
  });

  test('the newest is never touched, has no deprecation, and is the newest in the changelog', () => {
    assert.equal(versions.touches('2026-12-01', 'GET', '/x'), false);
    assert.equal(versions.deprecationOf('2026-12-01'), undefined);
    assert.deepEqual(versions.changelog(), [
      { version: '2026-12-01', changes: [] },
      { version: '2026-09-01', changes: [] },
      { version: '2026-06-01', changes: [] },
    ]);
  });
});
