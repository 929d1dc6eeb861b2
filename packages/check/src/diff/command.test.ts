/**
 * `steadfast-check diff` as a child process: exit 0 without breaking changes,
 * 1 with one, 2 with one line when an input is missing or not OpenAPI 3.x;
 * and the rules table in docs/checker.md is the one the code applies.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../testing/run-cli.ts';
import { OPERATION_RULES, SCHEMA_RULES } from './rules.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-diff-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

const order = (properties: object) => ({
  openapi: '3.1.0',
  info: { title: 'fixture', version: '1' },
  paths: {
    '/v1/orders/{id}': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'object', properties } } },
          },
        },
      },
      delete: { responses: { '204': { description: 'deleted' } } },
    },
  },
});
const v1 = file('v1.json', JSON.stringify(order({ id: { type: 'string' }, total: { type: 'integer' } })));
const added = file(
  'added.json',
  JSON.stringify(order({ id: { type: 'string' }, total: { type: 'integer' }, note: { type: 'string' } })),
);
const broken = order({ id: { type: 'string' } }) as { paths: Record<string, Record<string, unknown>> };
delete broken.paths['/v1/orders/{id}'].delete;
const removed = file('removed.json', JSON.stringify(broken));

describe('steadfast-check diff', () => {
  test('the same document twice: no changes, exit 0', async () => {
    const run = await runCli(['diff', v1, v1]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'no changes\n');
    assert.equal(run.stderr, '');
  });
  test('only changes that are not breaking: one line each and the summary, exit 0', async () => {
    const run = await runCli(['diff', v1, added]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'ok  GET /v1/orders/{id}: response field "note" added\n1 change: 0 breaking, 1 not breaking\n',
    );
  });
  test('a breaking change: BREAKING lines first, exit 1', async () => {
    const run = await runCli(['diff', v1, removed]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stdout,
      [
        'BREAKING  GET /v1/orders/{id}: response field "total" removed',
        'BREAKING  DELETE /v1/orders/{id}: operation removed',
        '2 changes: 2 breaking, 0 not breaking',
        '',
      ].join('\n'),
    );
  });
  test('--json prints the changes and the summary', async () => {
    const run = await runCli(['diff', v1, removed, '--json']);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      changes: [
        {
          breaking: true,
          kind: 'field-removed',
          path: 'GET /v1/orders/{id}',
          location: 'response.200.body.total',
          message: 'response field "total" removed',
        },
        {
          breaking: true,
          kind: 'operation-removed',
          path: 'DELETE /v1/orders/{id}',
          location: '',
          message: 'operation removed',
        },
      ],
      summary: { breaking: 2, notBreaking: 0 },
    });
  });
  test('YAML and URLs are read too', async () => {
    const yaml = file(
      'v1.yaml',
      `openapi: 3.1.0
info: { title: fixture, version: '1' }
paths:
  /v1/orders/{id}:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object, properties: { id: { type: string }, total: { type: integer } } }
    delete:
      responses:
        '204': { description: deleted }
`,
    );
    const server = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(fs.readFileSync(v1)),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`;
      const run = await runCli(['diff', yaml, url]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'no changes\n');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  test('--help explains the subcommand and its exit codes, exit 0', async () => {
    const run = await runCli(['diff', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /diff <old> <new> \[--json\]/);
    assert.match(run.stdout, /Exit codes:\n\s+0 .+\n\s+1 .+\n\s+2 .+/);
  });
});

describe('steadfast-check diff: bad input exits 2 with one line', () => {
  const refused = async (args: string[], pattern: RegExp) => {
    const run = await runCli(['diff', ...args]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^steadfast-check: /);
    assert.match(lines[0], pattern);
  };
  test('a text file, JSON without "openapi", Swagger 2.0, OpenAPI 2.x, broken JSON', async () => {
    await refused(
      [v1, file('notes.txt', 'just some notes\n')],
      /notes\.txt is not an OpenAPI 3\.0 or 3\.1 document \(its "openapi" field is missing\)/,
    );
    await refused(
      [file('plain.json', '{"name":"x","paths":{}}'), v1],
      /plain\.json is not an OpenAPI 3\.0 or 3\.1 document/,
    );
    await refused(
      [file('swagger.json', '{"swagger":"2.0","paths":{}}'), v1],
      /swagger\.json is Swagger 2\.0/,
    );
    await refused(
      [v1, file('old.json', '{"openapi":"2.5.0","paths":{}}')],
      /old\.json is not an OpenAPI 3\.0 or 3\.1 document \(its "openapi" field is "2\.5\.0"\)/,
    );
    await refused([v1, file('bad.json', '{"openapi": ')], /bad\.json is not valid JSON/);
  });
  test('a missing file, a URL that answers 404, a wrong number of arguments, an unknown option', async () => {
    await refused([v1, path.join(dir, 'nope.json')], /no such file: .*nope\.json$/);
    const server = http.createServer((_req, res) => res.writeHead(404).end('Not Found'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`;
      await refused([url, v1], /answered 404: no OpenAPI document there$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await refused([v1], /give two documents/);
    await refused([v1, v1, '--nope'], /Unknown option '--nope'/);
  });
});

test('docs/checker.md lists every rule with the verdict the code applies', () => {
  const docs = fs.readFileSync(new URL('../../../../docs/checker.md', import.meta.url), 'utf8');
  const section = docs.slice(docs.indexOf('## Comparing two API documents'));
  assert.ok(section.length > 100, 'the section exists');
  const verdict = (breaking: boolean) => (breaking ? '**breaking**' : 'ok');
  for (const [kind, rule] of Object.entries(OPERATION_RULES))
    assert.ok(
      section.includes(`| \`${kind}\` | ${rule.what} | ${verdict(rule.breaking)} |`),
      `${kind} is in the table`,
    );
  for (const [kind, rule] of Object.entries(SCHEMA_RULES))
    assert.ok(
      section.includes(
        `| \`${kind}\` | ${rule.what} | ${verdict(rule.request)} | ${verdict(rule.response)} |`,
      ),
      `${kind} is in the table`,
    );
});
