/**
 * A typed client generated from the app's own /openapi.json works: types by
 * openapi-typescript, calls by openapi-fetch. A small program creates,
 * submits, approves and pays an order; it is type-checked with the repo's
 * tsc (strict) and then run against the app listening on a real port, so the
 * types are proven against real answers. A second program that reads a field
 * the API does not have must not compile.
 *
 * openapi-typescript needs TypeScript 5's compiler API (the repo's tsc is 7,
 * which has none): it is a devDependency of this app with typescript@5
 * beside it (apps/orders/node_modules), the repo's tsc stays 7.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildTestApp, createTestWorker, type TestApp } from './testing.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = join(REPO, 'node_modules/.bin/tsc');
const SKU = 'CLIENT-1';

/** the program a client developer would write: create → submit → approve → pay, typed end to end */
const PROGRAM = `import { randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.ts';

type Order = components['schemas']['Order'];
type Operation = components['schemas']['Operation'];

export async function run(baseUrl: string, apiKey: string, sku: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${apiKey}\` } });
  const key = () => ({ 'idempotency-key': randomUUID() });
  const created = await client.POST('/v1/orders', {
    params: { header: key() },
    body: { currency: 'EUR', items: [{ sku, quantity: 2 }] },
  });
  if (!created.data) throw new Error(\`create: \${created.response.status} \${JSON.stringify(created.error)}\`);
  const order: Order = created.data;
  const path = { id: order.id };
  const submitted = await client.POST('/v1/orders/{id}/submit', { params: { path, header: key() } });
  if (!submitted.data) throw new Error(\`submit: \${submitted.error?.type}\`);
  const approved = await client.POST('/v1/orders/{id}/approve', {
    params: { path, header: { ...key(), 'if-match': submitted.response.headers.get('etag') ?? '*' } },
  });
  if (!approved.data) throw new Error(\`approve: \${approved.error?.type}\`);
  const paying = await client.POST('/v1/orders/{id}/pay', { params: { path, header: key() } });
  if (!paying.data) throw new Error(\`pay: \${paying.error?.type}\`);
  let operation: Operation = paying.data;
  for (let i = 0; i < 5 && (operation.status === 'pending' || operation.status === 'running'); i++) {
    const read = await client.GET('/v1/operations/{id}', {
      params: { path: { id: operation.id }, header: { prefer: 'wait=10' } },
    });
    if (!read.data) throw new Error(\`operation: \${read.error?.type}\`);
    operation = read.data;
  }
  if (operation.kind !== 'payment') throw new Error(\`a \${operation.kind} operation\`);
  const result = operation.result;
  const chargeId = result && 'orderId' in result ? result.chargeId : undefined;
  const final = await client.GET('/v1/orders/{id}', { params: { path } });
  if (!final.data) throw new Error(\`read: \${final.error?.type}\`);
  const status: Order['status'] = final.data.status;
  return {
    created: order.status,
    submitted: submitted.data.status,
    approved: approved.data.status,
    payAnswer: paying.response.status,
    operation: operation.status,
    chargeId,
    status,
    version: final.data.version,
    etag: final.response.headers.get('etag'),
  };
}
`;

/** the same client, reading a field Order does not have */
const WRONG = `import createClient from 'openapi-fetch';
import type { paths } from './schema.ts';

export async function run(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  const read = await client.GET('/v1/orders/{id}', { params: { path: { id: 'ord_1' } } });
  return read.data?.customerEmailAddress;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'es2024',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: ['node'],
    typeRoots: [join(REPO, 'node_modules/@types')],
  },
};

const run = promisify(execFile);

async function typeCheck(dir: string, file: string): Promise<{ ok: boolean; output: string }> {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: [file] }, null, 2));
  try {
    const { stdout, stderr } = await run(TSC, ['--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

describe('a typed client generated from /openapi.json', () => {
  let sandbox: RunningSandbox;
  let app: TestApp;
  let worker: ReturnType<typeof createTestWorker>;
  let baseUrl: string;
  let dir: string;
  before(async () => {
    sandbox = await startSandbox({ chargeProcessingMs: 0 });
    app = await buildTestApp({ partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } } });
    worker = createTestWorker(app, { jobMaxAttempts: 8, jobMaxDelayMs: 50 });
    await worker.start();
    await fetch(`${sandbox.base}/pricing/v1/prices/${SKU}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unitAmount: 1250, currency: 'EUR' }),
    });
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}`;
    // the repo's node_modules linked in, so `openapi-fetch` and @types/node resolve from the programs
    // (not a folder inside node_modules: Node does not strip types there)
    dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenAPI3;
    writeFileSync(join(dir, 'schema.ts'), astToString(await openapiTS(document)));
    writeFileSync(join(dir, 'program.ts'), PROGRAM);
    writeFileSync(join(dir, 'wrong.ts'), WRONG);
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await worker?.stop();
    await app?.close();
    await sandbox?.close();
  });

  test('the program type-checks (strict) against the generated types', async () => {
    const checked = await typeCheck(dir, 'program.ts');
    assert.equal(checked.output, '');
    assert.equal(checked.ok, true);
  });

  test('reading a field the API does not have does not compile', async () => {
    const checked = await typeCheck(dir, 'wrong.ts');
    assert.equal(checked.ok, false);
    assert.match(
      checked.output,
      /wrong\.ts\(\d+,\d+\): error TS2339: Property 'customerEmailAddress' does not exist/,
    );
  });

  test('the program runs against the app on a real port: the order is paid', async () => {
    const program = (await import(pathToFileURL(join(dir, 'program.ts')).href)) as {
      run(baseUrl: string, apiKey: string, sku: string): Promise<Record<string, unknown>>;
    };
    const outcome = await program.run(baseUrl, app.tenant.apiKey, SKU);
    assert.match(String(outcome.chargeId), /^ch_/);
    assert.deepEqual(
      { ...outcome, chargeId: 'ch_…' },
      {
        created: 'draft',
        submitted: 'submitted',
        approved: 'approved',
        payAnswer: 202,
        operation: 'succeeded',
        chargeId: 'ch_…',
        status: 'paid',
        version: 5,
        etag: '"5"',
      },
    );
  });
});
