/**
 * The breaking-change gate: each API version's generated document is compared
 * with its committed snapshot (openapi/<version>.json) by steadfast-check's
 * diff. A breaking change to a version clients already use fails the build; a
 * non-breaking one asks for the snapshot to be refreshed; a NEW version has no
 * snapshot yet and passes (write it with UPDATE_OPENAPI_SNAPSHOTS=1). The API
 * changelog (docs/api-changelog.md) is generated from the same declarations.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { diffOpenApi } from '@steadfast/check';
import { renderApiChangelog } from './api-changelog.ts';
import { API_VERSIONS, ordersApiVersions } from './api-versions.ts';
import { buildTestApp, type TestApp } from './testing.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const UPDATE = process.env.UPDATE_OPENAPI_SNAPSHOTS === '1';
const snapshotOf = (version: string) => path.join(ROOT, 'openapi', `${version}.json`);
const CHANGELOG = path.join(ROOT, 'docs', 'api-changelog.md');

let app: TestApp;
before(async () => {
  // the documented defaults of a production start: webhooks on, failed authentications throttled
  app = await buildTestApp({
    webhooks: { secrets: [`whsec_${Buffer.from('openapi-snapshot-secret-thirty-2').toString('base64')}`] },
    authFailures: { max: 20, windowS: 10 },
  });
});
after(() => app.close());

const documentOf = async (version: string) =>
  (await app.inject({ method: 'GET', url: `/openapi.json?version=${version}`, apiKey: null })).json();

for (const version of API_VERSIONS) {
  test(`openapi/${version}.json: no breaking change to what clients of ${version} were promised`, async (t) => {
    const generated = await documentOf(version);
    const file = snapshotOf(version);
    if (UPDATE) writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`);
    if (!existsSync(file)) {
      t.diagnostic(`${version} is new: no snapshot yet (UPDATE_OPENAPI_SNAPSHOTS=1 writes it)`);
      return;
    }
    const { changes } = diffOpenApi(JSON.parse(readFileSync(file, 'utf8')), generated);
    const breaking = changes.filter((c) => c.breaking);
    assert.deepEqual(
      breaking.map((c) => `${c.path} ${c.location}: ${c.message}`),
      [],
      `breaking changes to version ${version}: add a new version with a version change instead`,
    );
    assert.deepEqual(
      changes.map((c) => `${c.path} ${c.location}: ${c.message}`),
      [],
      `the document of ${version} changed without breaking it: refresh its snapshot (UPDATE_OPENAPI_SNAPSHOTS=1)`,
    );
  });
}

test('the gate does catch a breaking change', async () => {
  const before = await documentOf('2026-06-01');
  const after = structuredClone(before);
  delete after.paths['/v1/orders/{id}'].get;
  const { changes } = diffOpenApi(before, after);
  assert.ok(changes.some((c) => c.breaking && c.path === 'GET /v1/orders/{id}'));
});

test('docs/api-changelog.md is the one generated from the version changes', () => {
  const generated = renderApiChangelog(ordersApiVersions());
  if (UPDATE) writeFileSync(CHANGELOG, generated);
  assert.equal(readFileSync(CHANGELOG, 'utf8'), generated, 'regenerate it: UPDATE_OPENAPI_SNAPSHOTS=1');
});
