/** defineApiVersions on its own: definition checks, resolution, the order of changes, events, documentFor. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VersionChange } from './changes.ts';
import { defineApiVersions } from './versions.ts';

const VERSIONS = ['2026-06-01', '2026-09-01', '2026-12-01'];
const ROUTES = ['POST /items', 'GET /items/:id'];

/** 09-01 renames `title` → `label`; 12-01 turns `label` into `{ text }`: applied in the wrong order they give other bodies */
const changes: VersionChange[] = [
  {
    version: '2026-12-01',
    description: 'label becomes { text }',
    routes: ROUTES,
    request: (body) => ({ ...body, label: { text: body.label } }),
    response: (body) => ({ ...body, label: body.label.text }),
    events: (_type, payload) => ({ ...payload, label: payload.label.text }),
    schema: {
      request: (schema) => ({ ...schema, 'x-12': true }),
      response: (schema, status) => ({ ...schema, 'x-12': status }),
    },
  },
  {
    version: '2026-09-01',
    description: 'title is renamed label',
    routes: ROUTES,
    request: ({ title, ...rest }) => ({ ...rest, label: title }),
    response: ({ label, ...rest }) => ({ ...rest, title: label }),
    events: (type, { label, ...rest }) =>
      type === 'item.created' ? { ...rest, title: label } : { label, ...rest },
    schema: { response: (schema) => ({ ...schema, 'x-09': true }) },
  },
];
const versions = defineApiVersions({ versions: VERSIONS, changes });

describe('defineApiVersions checks its definition', () => {
  const cases: [string, Parameters<typeof defineApiVersions>[0], RegExp][] = [
    ['no versions', { versions: [] }, /at least one version/],
    ['not a real date', { versions: ['2026-02-30'] }, /"2026-02-30" is not a real date/],
    [
      'not increasing',
      { versions: ['2026-09-01', '2026-06-01'] },
      /strictly increasing, "2026-06-01" follows "2026-09-01"/,
    ],
    ['a repeated version', { versions: ['2026-06-01', '2026-06-01'] }, /strictly increasing/],
    [
      'a change of the first version',
      { versions: VERSIONS, changes: [{ version: '2026-06-01', description: 'x', routes: ['*'] }] },
      /first version \(2026-06-01\) has nothing older/,
    ],
    [
      'a change of an unknown version',
      { versions: VERSIONS, changes: [{ version: '2026-10-01', description: 'x', routes: ['*'] }] },
      /version 2026-10-01 is not in versions/,
    ],
    [
      'a malformed route',
      { versions: VERSIONS, changes: [{ version: '2026-09-01', description: 'x', routes: ['/items'] }] },
      /route "\/items" must be "METHOD \/route\/template"/,
    ],
    [
      'the newest deprecated',
      {
        versions: VERSIONS,
        deprecations: { '2026-12-01': { deprecatedAt: '2027-01-01T00:00:00Z', link: '/x' } },
      },
      /newest version \(2026-12-01\) cannot be deprecated/,
    ],
    [
      'a sunset before the deprecation',
      {
        versions: VERSIONS,
        deprecations: {
          '2026-06-01': {
            deprecatedAt: '2027-01-01T00:00:00Z',
            sunsetAt: '2026-12-31T00:00:00Z',
            link: '/x',
          },
        },
      },
      /sunsetAt 2026-12-31T00:00:00Z is before deprecatedAt/,
    ],
    [
      'a deprecation date that is not a timestamp',
      { versions: VERSIONS, deprecations: { '2026-06-01': { deprecatedAt: 'soon', link: '/x' } } },
      /deprecatedAt: "soon" is not an RFC 3339 timestamp/,
    ],
  ];
  for (const [name, options, error] of cases)
    test(name, () => assert.throws(() => defineApiVersions(options), error));
});

describe('resolve: the header, else the pinned version, else the newest', () => {
  test('order', () => {
    assert.deepEqual(versions.resolve('2026-06-01', '2026-09-01'), {
      version: '2026-06-01',
      source: 'header',
    });
    assert.deepEqual(versions.resolve(undefined, '2026-09-01'), { version: '2026-09-01', source: 'pinned' });
    assert.deepEqual(versions.resolve(undefined, undefined), { version: '2026-12-01', source: 'newest' });
  });

  const SUPPORTED = ' Supported versions: 2026-06-01, 2026-09-01, 2026-12-01.';
  const bad: [string, string][] = [
    ['2026-07-01', 'Steadfast-Version 2026-07-01 is not a version of this API.'],
    ['2026-13-01', 'Steadfast-Version "2026-13-01" is not a date in YYYY-MM-DD form.'],
    ['yesterday', 'Steadfast-Version "yesterday" is not a date in YYYY-MM-DD form.'],
    ['2020-01-01', 'Steadfast-Version 2020-01-01 is older than the first version of this API (2026-06-01).'],
    ['', 'Steadfast-Version is empty.'],
    [
      '2026-06-01, 2026-09-01',
      'Steadfast-Version "2026-06-01, 2026-09-01" is not a date in YYYY-MM-DD form.',
    ],
  ];
  for (const [value, detail] of bad) {
    test(`${JSON.stringify(value)} → version-unsupported naming the supported versions`, () => {
      const { problem } = versions.resolve(value, '2026-09-01');
      assert.ok(problem);
      assert.equal(problem.slug, 'version-unsupported');
      assert.equal(problem.detail, detail + SUPPORTED);
      assert.deepEqual(problem.extensions, { supportedVersions: VERSIONS });
      assert.deepEqual(problem.errors, [{ in: 'header', pointer: '/steadfast-version', message: detail }]);
    });
  }

  test('a pinned version that is no longer supported is a problem too, never a silent upgrade', () => {
    const { problem } = versions.resolve(undefined, '2025-01-01');
    assert.equal(
      problem?.detail,
      `The pinned version 2025-01-01 is older than the first version of this API (2026-06-01).${SUPPORTED}`,
    );
  });
});

describe('translations', () => {
  const at = { method: 'GET', route: '/items/:id', status: 200 };

  test('responses go down through both changes, newest first', () => {
    const newest = { id: 'i1', label: { text: 'hello' } };
    assert.deepEqual(versions.transformResponse('2026-09-01', at, newest), { id: 'i1', label: 'hello' });
    assert.deepEqual(versions.transformResponse('2026-06-01', at, newest), { id: 'i1', title: 'hello' });
    assert.equal(versions.transformResponse('2026-12-01', at, newest), newest);
  });

  test('requests go up through both changes, oldest first', () => {
    const route = { method: 'POST', route: '/items' };
    assert.deepEqual(versions.transformRequest('2026-06-01', route, { title: 'hi' }), {
      label: { text: 'hi' },
    });
    assert.deepEqual(versions.transformRequest('2026-09-01', route, { label: 'hi' }), {
      label: { text: 'hi' },
    });
  });

  test('a route no change names is untouched; "*" names every route', () => {
    const other = { method: 'GET', route: '/others', status: 200 };
    assert.equal(versions.touches('2026-06-01', 'GET', '/others'), false);
    assert.deepEqual(versions.transformResponse('2026-06-01', other, { label: 1 }), { label: 1 });
    const all = defineApiVersions({
      versions: VERSIONS,
      changes: [
        { version: '2026-09-01', description: 'x', routes: ['*'], response: (b) => ({ ...b, old: true }) },
      ],
    });
    assert.deepEqual(all.transformResponse('2026-06-01', other, { a: 1 }), { a: 1, old: true });
    assert.equal(all.touches('2026-12-01', 'GET', '/others'), false, 'the newest never needs a translation');
  });

  test('events go down through every change that has an events translation', () => {
    const payload = { id: 'i1', label: { text: 'hello' } };
    assert.deepEqual(versions.transformEvent('2026-06-01', 'item.created', payload), {
      id: 'i1',
      title: 'hello',
    });
    assert.deepEqual(versions.transformEvent('2026-06-01', 'item.deleted', payload), {
      id: 'i1',
      label: 'hello',
    });
    assert.deepEqual(versions.transformEvent('2026-12-01', 'item.created', payload), payload);
  });
});

describe('documentFor', () => {
  const json = (schema: object) => ({ content: { 'application/json': { schema } } });
  const source = {
    openapi: '3.1.0',
    info: { title: 't', version: '2026-12-01' },
    paths: {
      '/items': {
        post: {
          requestBody: json({ $ref: '#/components/schemas/Item' }),
          responses: { '201': json({ type: 'object' }) },
        },
        get: { responses: { '200': json({ $ref: '#/components/schemas/Item' }) } },
      },
      '/items/{id}': {
        get: {
          responses: {
            '200': json({ $ref: '#/components/schemas/Item' }),
            '404': { content: { 'application/problem+json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: { schemas: { Item: { type: 'object', properties: { label: { type: 'string' } } } } },
  };

  test('applies the schema transforms to the touched operations only, newest change first', () => {
    const document = versions.documentFor('2026-06-01', source);
    assert.equal(document.info.version, '2026-06-01');
    assert.deepEqual(document.paths['/items'].post, {
      requestBody: json({ type: 'object', properties: { label: { type: 'string' } }, 'x-12': true }),
      responses: { '201': json({ type: 'object', 'x-12': '201', 'x-09': true }) },
    });
    assert.deepEqual(document.paths['/items/{id}'].get.responses, {
      '200': json({ type: 'object', properties: { label: { type: 'string' } }, 'x-12': '200', 'x-09': true }),
      '404': {
        content: { 'application/problem+json': { schema: { type: 'object', 'x-12': '404', 'x-09': true } } },
      },
    });
    // GET /items is named by no change: its $ref stays
    assert.deepEqual(document.paths['/items'].get, {
      responses: { '200': json({ $ref: '#/components/schemas/Item' }) },
    });
    assert.equal(source.info.version, '2026-12-01');
    assert.deepEqual(source.paths['/items'].post.requestBody, json({ $ref: '#/components/schemas/Item' }));
  });

  test('only the changes newer than the version', () => {
    const document = versions.documentFor('2026-09-01', source);
    assert.deepEqual(document.paths['/items'].post.responses, {
      '201': json({ type: 'object', 'x-12': '201' }),
    });
    assert.deepEqual(versions.documentFor('2026-12-01', source).paths, source.paths);
  });
});
