/** The reports as a user sees them: failed first with curls, -v, skips by reason, --fail-on-skip, HTML, JSON, a target that dies mid-run. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { toCurl } from './client.ts';
import { readSpec } from './spec.ts';
import { startFakeApi } from './testing/fake-api.ts';
import { runCli } from './testing/run-cli.ts';

describe('reports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-report-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('exit 0 on a correct API; JSON, JUnit and a self-contained HTML page are written', async () => {
    const good = await startFakeApi();
    try {
      const run = await runCli([
        good.url,
        '--api-key',
        'k1',
        '--lro-timeout',
        '5',
        '--json',
        `${dir}/ok.json`,
        '--junit',
        `${dir}/ok.xml`,
        '--html',
        `${dir}/ok.html`,
      ]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /\d+ passed, 0 failed, \d+ skipped/);
      assert.match(run.stdout, /skipped by reason: .*needs --other-api-key/);
      const json = JSON.parse(fs.readFileSync(`${dir}/ok.json`, 'utf8'));
      assert.deepEqual(Object.keys(json).sort(), [
        'checks',
        'durationMs',
        'paced',
        'requestsByGroup',
        'skippedByReason',
        'startedAt',
        'summary',
        'target',
      ]);
      assert.doesNotMatch(fs.readFileSync(`${dir}/ok.json`, 'utf8'), /Bearer k1/);
      assert.match(
        fs.readFileSync(`${dir}/ok.xml`, 'utf8'),
        /<testsuites name="steadfast check" tests="\d+" failures="0"/,
      );
      const html = fs.readFileSync(`${dir}/ok.html`, 'utf8');
      assert.match(html, /^<!doctype html>/);
      assert.doesNotMatch(html, /<script|<link|src=|https?:\/\/(?!127\.0\.0\.1)/);
      const skips = await runCli([good.url, '--api-key', 'k1', '--only', 'idempotency', '--fail-on-skip']);
      assert.equal(skips.code, 1, 'tenant-scope is skipped without --other-api-key');
    } finally {
      await good.close();
    }
  });

  test('failed checks come first with evidence and a curl per tenant key; -v shows passed evidence', async () => {
    const bad = await startFakeApi('unscoped-keys');
    try {
      const run = await runCli([
        bad.url,
        '--api-key',
        'tenant-a-key',
        '--other-api-key',
        'tenant-b-key',
        '--only',
        'idempotency',
        '-v',
      ]);
      assert.equal(run.code, 1);
      const lines = run.stdout.split('\n').filter(Boolean);
      assert.match(lines[0], /^FAILED \(\d+\)/);
      assert.match(lines[1], /✗ idempotency\.tenant-scope/);
      assert.match(run.stdout, /curl -sS -X POST .*"authorization: Bearer \$API_KEY"/);
      assert.match(run.stdout, /curl -sS -X POST .*"authorization: Bearer \$OTHER_API_KEY"/);
      assert.doesNotMatch(run.stdout, /tenant-[ab]-key/);
      assert.match(run.stdout, /✓ idempotency\.replay .* — same status and body[^\n]*\n\s+POST http/);
    } finally {
      await bad.close();
    }
  });

  test('a key the document marks optional is still exercised; "not required" is a warning (exit 0)', async () => {
    const lenient = await startFakeApi('optional-key');
    try {
      const run = await runCli([lenient.url, '--api-key', 'k1', '--only', 'idempotency']);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /! idempotency\.required/);
      assert.match(run.stdout, /warning/);
      assert.equal(
        (await runCli([lenient.url, '--api-key', 'k1', '--only', 'idempotency', '--require-key'])).code,
        1,
      );
    } finally {
      await lenient.close();
    }
  });

  test('a target that stops answering mid-run: the report is still written, target.unavailable, exit 1', async () => {
    const dying = await startFakeApi('dies');
    try {
      const run = await runCli([dying.url, '--api-key', 'k1', '--json', `${dir}/dead.json`]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /✗ target\.unavailable/);
      const json = JSON.parse(fs.readFileSync(`${dir}/dead.json`, 'utf8'));
      assert.ok(json.checks.some((c: { id: string }) => c.id === 'target.unavailable'));
    } finally {
      await dying.close();
    }
  });

  test('--only a group with nothing applicable lists it as skipped, never 0/0/0', async () => {
    const good = await startFakeApi();
    try {
      const run = await runCli([good.url, '--api-key', 'k1', '--only', 'load']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /0 passed, 0 failed, 1 skipped/);
      assert.match(run.stdout, /needs --load-rps/);
    } finally {
      await good.close();
    }
  });

  test('--load-rps drives the idempotent POSTs too, with percentiles and non-2xx by category', async () => {
    const good = await startFakeApi();
    try {
      const run = await runCli([
        good.url,
        '--api-key',
        'k1',
        '--only',
        'load',
        '--load-rps',
        '20',
        '--load-duration',
        '1',
        '-v',
      ]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /reads \d+: p50 \d+ ms, p90 \d+ ms, p99 \d+ ms; writes \d+: p50/);
      assert.match(run.stdout, /non-2xx: /);
    } finally {
      await good.close();
    }
  });
});

describe('the document and reproducers', () => {
  let seen: Record<string, string> = {};
  const stub = (async (_url: string, init: { headers: Record<string, string> }) => {
    seen = init.headers;
    return new Response('openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths: {}\n', {
      headers: { 'content-type': 'application/yaml' },
    });
  }) as unknown as typeof fetch;
  before(() => {
    seen = {};
  });
  test('the document is fetched with the same credentials, and YAML is read', async () => {
    const doc = await readSpec('http://127.0.0.1:1/openapi.yaml', stub, { apiKey: 'k1' });
    assert.equal(seen.authorization, 'Bearer k1');
    assert.equal(doc.openapi, '3.1.0');
  });
  test('a curl names each credential by its variable; a forged one is shown as sent', () => {
    const request = (credential: string | undefined, authorization: string) => ({
      request: { method: 'GET', url: 'http://t/x', headers: { authorization }, credential },
      response: { error: 'x' },
    });
    assert.match(toCurl(request('OTHER_API_KEY', 'Bearer secret')), /Bearer \$OTHER_API_KEY/);
    assert.match(toCurl(request('', 'Bearer sk_unknown_1')), /'authorization: Bearer sk_unknown_1'/);
    assert.doesNotMatch(toCurl(request('API_KEY', 'Bearer secret')), /secret/);
  });
});
