/**
 * Spectral's `oas` ruleset on the generated OpenAPI document: zero errors.
 * Warnings are printed (test diagnostics) so they stay visible; the known
 * ones are listed in WARNINGS_ACCEPTED, and a new kind of warning fails the
 * test until it is fixed or accepted here on purpose.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RulesetDefinition } from '@stoplight/spectral-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { API_VERSIONS } from './api-versions.ts';
import { buildTestApp, type TestApp } from './testing.ts';

const { Document, Spectral } = spectralCore;
const SEVERITY = ['error', 'warn', 'info', 'hint'];
const SECRET = `whsec_${Buffer.from('openapi-lint-secret-thirty-two-b').toString('base64')}`;

/**
 * - info-contact: the project publishes no support contact to put there;
 * - operation-description: the routes have a summary; a description where
 *   the summary is not enough is the route file's to write.
 */
const WARNINGS_ACCEPTED = new Set(['info-contact', 'operation-description']);

async function lint(document: object) {
  const spectral = new Spectral();
  spectral.setRuleset(oas as RulesetDefinition);
  const results = await spectral.run(
    new Document(JSON.stringify(document, null, 2), spectralParsers.Json, 'openapi.json'),
  );
  return results.map((r) => ({
    severity: SEVERITY[r.severity],
    code: String(r.code),
    at: r.path.join('.'),
    message: r.message,
  }));
}

describe('Spectral (oas ruleset) on /openapi.json', () => {
  let app: TestApp;
  let spec: object;
  before(async () => {
    // the largest document: webhooks intake and every throttle on
    app = await buildTestApp({
      webhooks: { secrets: [SECRET] },
      authFailures: { max: 10, windowS: 60 },
    });
    spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
  });
  after(() => app.close());

  test('zero errors; every warning is a known kind', async (t) => {
    const results = await lint(spec);
    for (const r of results) t.diagnostic(`${r.severity} ${r.code} ${r.at}: ${r.message}`);
    assert.deepEqual(
      results.filter((r) => r.severity === 'error'),
      [],
    );
    assert.deepEqual(
      results.filter((r) => r.severity === 'warn' && !WARNINGS_ACCEPTED.has(r.code)),
      [],
    );
  });

  test("every older version's document too: zero errors, only known warnings", async (t) => {
    for (const version of API_VERSIONS.slice(0, -1)) {
      const document = (
        await app.inject({ method: 'GET', url: `/openapi.json?version=${version}`, apiKey: null })
      ).json();
      const results = await lint(document);
      for (const r of results.filter((x) => x.severity === 'error'))
        t.diagnostic(`${version} ${r.code} ${r.at}: ${r.message}`);
      assert.deepEqual(
        results.filter(
          (r) => r.severity === 'error' || (r.severity === 'warn' && !WARNINGS_ACCEPTED.has(r.code)),
        ),
        [],
        version,
      );
    }
  });

  test('the linter does catch a broken document', async () => {
    const broken = structuredClone(spec) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    broken.paths['/v1/orders'].get.operationId = 'createOrder'; // the POST's id too
    const errors = (await lint(broken)).filter((r) => r.severity === 'error').map((r) => r.code);
    assert.ok(errors.includes('operation-operationId-unique'), errors.join(', '));
  });
});
