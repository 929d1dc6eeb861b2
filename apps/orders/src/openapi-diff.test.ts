/**
 * The breaking-change gate on the Orders API's real document: its current
 * /openapi.json against itself has no changes (exit 0), and one real breaking
 * edit to it is caught — so the gate reads everything the service documents.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { diffOpenApi } from '@steadfast/check';
import { buildTestApp, type TestApp } from './testing.ts';

const CLI = path.resolve(import.meta.dirname, '../../../packages/check/src/cli.ts');

function runDiff(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'diff', ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('steadfast-check diff on the Orders API document', () => {
  let app: TestApp;
  let spec: Record<string, unknown>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-diff-'));
  before(async () => {
    app = await buildTestApp();
    const response = await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null });
    assert.equal(response.statusCode, 200);
    spec = response.json();
  });
  after(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the current document against itself: no changes, exit 0', async () => {
    assert.deepEqual(diffOpenApi(spec, structuredClone(spec)).changes, []);
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const run = await runDiff([file, file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'no changes\n');
  });

  test('the same document served over HTTP against the file: no changes', async () => {
    const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
    const file = path.join(dir, 'served.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const run = await runDiff([file, `${url}/openapi.json`]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'no changes\n');
  });

  test('customer made required on create is caught as breaking, exit 1', async () => {
    const edited = structuredClone(spec) as {
      paths: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: { required?: string[] } }> } } }
      >;
    };
    const body = edited.paths['/v1/orders'].post.requestBody.content['application/json'].schema;
    body.required = [...(body.required ?? []), 'customer'];
    const before = path.join(dir, 'before.json');
    const afterEdit = path.join(dir, 'after.json');
    fs.writeFileSync(before, JSON.stringify(spec));
    fs.writeFileSync(afterEdit, JSON.stringify(edited));
    const run = await runDiff([before, afterEdit]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stdout,
      'BREAKING  POST /v1/orders: request field "customer" is now required\n1 change: 1 breaking, 0 not breaking\n',
    );
  });
});
