/** The command line's own behaviour: --help, --version, and one clear line (exit 2) for each kind of bad input. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './testing/run-cli.ts';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** A server that answers every request with `status` and `body` (text/html unless said). */
async function answering(status: number, body: string, type = 'text/html') {
  const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** exit 2, nothing on stdout, exactly one line on stderr matching `pattern` */
async function refused(args: string[], pattern: RegExp) {
  const run = await runCli(args);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^steadfast-check: /);
  assert.match(lines[0], pattern);
}

describe('steadfast-check --help and --version', () => {
  for (const flag of ['--help', '-h']) {
    test(`${flag} prints every option and the exit codes, exit 0`, async () => {
      const run = await runCli([flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '');
      for (const option of [
        '--openapi',
        '--api-key',
        '--other-api-key',
        '--only',
        '--seed',
        '--max-requests',
        '--load-rps',
        '--load-duration',
        '--p99-ms',
        '--json',
        '--junit',
        '--html',
        '--fail-on-skip',
        '--require-key',
        '--lro-timeout',
        '--fault-proxy',
        '--max-latency',
        '--max-amplification',
        '--verbose',
        '--help',
        '--version',
        'STEADFAST_CHECK_API_KEY',
      ])
        assert.ok(run.stdout.includes(option), `${option} is explained`);
      assert.match(run.stdout, /Exit codes:\n\s+0 .+\n\s+1 .+\n\s+2 .+/);
      assert.doesNotMatch(run.stdout, /\.\.\.|…/);
    });
  }
  test('--version prints the package version, exit 0 (-v is --verbose)', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${pkg.version}\n`);
  });
  test("webhooks --help is the subcommand's own help, exit 0", async () => {
    const run = await runCli(['webhooks', '--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /webhooks/);
  });
});

describe('bad input: exit 2 with one line on stderr', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-cli-'));
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  let html: Awaited<ReturnType<typeof answering>>;
  let missing: Awaited<ReturnType<typeof answering>>;
  let closed: string;
  before(async () => {
    html = await answering(200, '<!doctype html><title>Welcome</title>');
    missing = await answering(404, 'Not Found', 'text/plain');
    const gone = await answering(200, '');
    closed = gone.url;
    await gone.close();
  });
  after(async () => {
    await html.close();
    await missing.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no base URL, or not an http(s) URL, or an unknown option', async () => {
    await refused([], /give the API base URL/);
    await refused(['localhost:3000'], /localhost:3000 is not an http\(s\) URL/);
    await refused(['http://127.0.0.1:3000', '--nope'], /Unknown option '--nope'/);
    await refused(['http://127.0.0.1:3000', '--seed', 'x'], /--seed must be a number/);
    await refused(
      ['http://127.0.0.1:3000', '--only', 'idempotency,nonsense'],
      /unknown check group\(s\): nonsense/,
    );
    await refused(
      ['http://127.0.0.1:3000', '--fault-proxy', 'pricing=notaport'],
      /bad --fault-proxy "pricing=notaport"/,
    );
    await refused(
      ['http://127.0.0.1:3000', '--lro-timeout', '0'],
      /--lro-timeout must be a positive integer/,
    );
  });

  test('a URL that does not answer', async () => {
    await refused([closed], new RegExp(`cannot reach ${closed}/openapi.json \\(ECONNREFUSED\\)`));
  });

  test('a URL that answers HTML or 404 instead of an OpenAPI document, naming the URL tried', async () => {
    await refused([html.url], new RegExp(`${html.url}/openapi.json answered an HTML page, not an OpenAPI`));
    await refused([missing.url], new RegExp(`${missing.url}/openapi.json answered 404: no OpenAPI document`));
    await refused(
      [missing.url, '--openapi', `${html.url}/spec`],
      new RegExp(`${html.url}/spec answered an HTML`),
    );
  });

  test('a document that does not parse (JSON or YAML), or is not OpenAPI 3.x', async () => {
    const base = closed; // never reached: the document is refused first
    await refused(
      [base, '--openapi', file('broken.json', '{"openapi": "3.1.0",')],
      /broken\.json is not valid JSON: /,
    );
    await refused(
      [base, '--openapi', file('broken.yaml', 'openapi: 3.1.0\ninfo: {title: t\npaths: [\n')],
      /broken\.yaml is not valid YAML: /,
    );
    // a YAML document is read: the run goes on and finds the target unreachable
    await refused(
      [
        base,
        '--openapi',
        file(
          'spec.yaml',
          'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths:\n  /x:\n    get:\n      responses: {"200": {description: ok}}\n',
        ),
      ],
      /cannot reach/,
    );
    await refused(
      [base, '--openapi', file('swagger.json', '{"swagger": "2.0", "paths": {}}')],
      /swagger\.json is Swagger 2\.0: steadfast-check needs OpenAPI 3\.0 or 3\.1/,
    );
    await refused(
      [base, '--openapi', file('other.json', '{"name": "not a spec"}')],
      /other\.json is not an OpenAPI 3\.0 or 3\.1 document \(its "openapi" field is missing\)/,
    );
    await refused([base, '--openapi', file('nopaths.json', '{"openapi": "3.0.3"}')], /has no "paths"/);
    await refused([base, '--openapi', path.join(dir, 'absent.json')], /no such file: .*absent\.json/);
  });
});
