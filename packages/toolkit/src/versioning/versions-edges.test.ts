/** defineApiVersions' edges: every definition error's exact message, deprecation and link checks, the order of same-version changes, contexts, and unknown versions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VersionChange } from './changes.ts';
import { checkDeprecation, type Deprecation, defineApiVersions } from './versions.ts';

const VERSIONS = ['2026-06-01', '2026-09-01', '2026-12-01'];
const define = (extra: Partial<Parameters<typeof defineApiVersions>[0]>) =>
  defineApiVersions({ versions: VERSIONS, ...extra });
const deprecated = (value: Deprecation) => define({ deprecations: { '2026-06-01': value } });
const WHERE = 'defineApiVersions: deprecations["2026-06-01"]';

describe('deprecation checks, with exact messages', () => {
  test('a deprecation without sunset → its times, sunsetAtMs undefined', () => {
    assert.deepEqual(checkDeprecation({ deprecatedAt: '2027-01-01T00:00:00Z', link: '/up' }, 'w'), {
      deprecatedAtMs: 1798761600000,
      sunsetAtMs: undefined,
      link: '/up',
    });
    assert.equal(define({}).deprecationOf('2026-06-01'), undefined);
  });

  test('a sunset at the very moment of the deprecation is allowed', () => {
    const at = '2027-01-01T00:00:00Z';
    assert.deepEqual(
      deprecated({ deprecatedAt: at, sunsetAt: at, link: '/up' }).deprecationOf('2026-06-01'),
      {
        deprecatedAtMs: 1798761600000,
        sunsetAtMs: 1798761600000,
        link: '/up',
      },
    );
  });

  const bad: [string, Deprecation, string][] = [
    [
      'deprecatedAt',
      { deprecatedAt: 'soon', link: '/x' },
      `${WHERE}.deprecatedAt: "soon" is not an RFC 3339 timestamp`,
    ],
    [
      'sunsetAt',
      { deprecatedAt: '2027-01-01T00:00:00Z', sunsetAt: 'later', link: '/x' },
      `${WHERE}.sunsetAt: "later" is not an RFC 3339 timestamp`,
    ],
    [
      'sunset before the deprecation',
      { deprecatedAt: '2027-01-01T00:00:00Z', sunsetAt: '2026-12-31T23:59:59Z', link: '/x' },
      `${WHERE}: sunsetAt 2026-12-31T23:59:59Z is before deprecatedAt 2027-01-01T00:00:00Z`,
    ],
  ];
  for (const [name, value, message] of bad)
    test(`refused: ${name}`, () => assert.throws(() => deprecated(value), { message }));

  test('links: absolute http(s) URLs and paths', () => {
    for (const link of ['/up', 'http://example.com/up', 'https://example.com/docs#up'])
      assert.equal(
        deprecated({ deprecatedAt: '2027-01-01T00:00:00Z', link }).deprecationOf('2026-06-01')?.link,
        link,
      );
  });

  test('links: anything else is refused, quoting it', () => {
    const links: unknown[] = ['up', 'x/up', '/', '/a b', 'ftp://example.com', 'https://', ['/up'], undefined];
    for (const link of links)
      assert.throws(
        () => deprecated({ deprecatedAt: '2027-01-01T00:00:00Z', link } as Deprecation),
        { message: `${WHERE}: link must be an absolute URL or a path, got ${JSON.stringify(link)}` },
        String(link),
      );
  });
});

describe('definition errors name what is wrong', () => {
  const change = (over: Partial<VersionChange>): VersionChange => ({
    version: '2026-09-01',
    description: 'x',
    routes: ['*'],
    ...over,
  });
  const cases: [string, Partial<Parameters<typeof defineApiVersions>[0]>, string][] = [
    [
      'unknown version',
      { changes: [change({ version: '2026-10-01' })] },
      'defineApiVersions: change "x": version 2026-10-01 is not in versions',
    ],
    [
      'first version',
      { changes: [change({ version: '2026-06-01' })] },
      'defineApiVersions: change "x": the first version (2026-06-01) has nothing older to translate to',
    ],
    [
      'no description',
      { changes: [change({ description: '' })] },
      'defineApiVersions: a change of 2026-09-01 has no description',
    ],
    ['no routes', { changes: [change({ routes: [] })] }, 'defineApiVersions: change "x": routes is empty'],
    [
      'a malformed route after a good one',
      { changes: [change({ routes: ['GET /a', 'get /b'] })] },
      'defineApiVersions: change "x": route "get /b" must be "METHOD /route/template" (e.g. "GET /notes/:id") or "*"',
    ],
    [
      'a deprecation of an unknown version',
      { deprecations: { '2026-07-01': { deprecatedAt: '2027-01-01T00:00:00Z', link: '/x' } } },
      'defineApiVersions: deprecation of unknown version 2026-07-01',
    ],
  ];
  for (const [name, extra, message] of cases)
    test(name, () => assert.throws(() => define(extra), { message }));

  test('versions: exact messages', () => {
    assert.throws(() => defineApiVersions({ versions: [] }), {
      message: 'defineApiVersions: at least one version is required',
    });
    assert.throws(() => defineApiVersions({ versions: ['2026-06-01', '2026-6-02'] }), {
      message: 'defineApiVersions: version "2026-6-02" is not a real date in YYYY-MM-DD form',
    });
  });

  test('a single version and strictly increasing versions are fine', () => {
    assert.equal(defineApiVersions({ versions: ['2026-06-01'] }).newest, '2026-06-01');
    assert.deepEqual(define({}).versions, VERSIONS);
  });
});

describe('changes of the same version apply in declaration order', () => {
  const trail =
    (name: string) =>
    (body: { trail: string[] }): { trail: string[] } => ({ trail: [...body.trail, name] });
  const sameVersion = (name: string, version = '2026-12-01'): VersionChange => ({
    version,
    description: name,
    routes: ['GET /t'],
    request: trail(name),
    response: trail(name),
    events: (_type, payload) => trail(name)(payload),
  });
  const versions = define({
    changes: [sameVersion('c'), sameVersion('a', '2026-09-01'), sameVersion('d'), sameVersion('e')],
  });
  const at = { method: 'GET', route: '/t', status: 200 };

  test('requests upwards: oldest version first, then as declared', () => {
    assert.deepEqual(versions.transformRequest('2026-06-01', at, { trail: [] }), {
      trail: ['a', 'c', 'd', 'e'],
    });
  });

  test('responses and events downwards: the reverse', () => {
    assert.deepEqual(versions.transformResponse('2026-06-01', at, { trail: [] }), {
      trail: ['e', 'd', 'c', 'a'],
    });
    assert.deepEqual(versions.transformEvent('2026-06-01', 'x', { trail: [] }), {
      trail: ['e', 'd', 'c', 'a'],
    });
  });

  test('the changelog lists them as declared, per version, newest first', () => {
    assert.deepEqual(
      versions.changelog().map((e) => [e.version, e.changes.map((c) => c.description)]),
      [
        ['2026-12-01', ['c', 'd', 'e']],
        ['2026-09-01', ['a']],
        ['2026-06-01', []],
      ],
    );
  });
});
