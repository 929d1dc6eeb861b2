import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runConfigCheck } from './commands/config-check.ts';
import { ConfigError, configProblems, loadConfig, loadConfigFor, type Role } from './config.ts';

describe('config', () => {
  test('defaults follow the design table', () => {
    const config = loadConfig({}, '/srv/app');
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.sandboxPort, 3001);
    assert.equal(config.home, path.resolve('/srv/app/.steadfast'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.partners.pricingUrl, 'http://127.0.0.1:3001/pricing');
    assert.equal(config.paymentsWebhookUrl, undefined, "defaults to this API's own /webhooks/payments");
    assert.equal(config.idempotencyRetentionS, 86400);
    assert.equal(config.idempotencyLeaseS, 30);
    assert.equal(config.jobMaxAttempts, 8);
    assert.equal(config.workerMetricsPort, 9465);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.database, {
      max: 20,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 5000,
      preparedStatements: true,
    });
    assert.equal(config.environment, 'development');
    assert.equal(config.databaseDirectUrl, undefined);
    assert.equal(config.allowEmbeddedDb, false);
    assert.deepEqual(config.http, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxConnections: 4096,
    });
  });

  test('values are read and typed', () => {
    const config = loadConfig({
      PORT: '8080',
      SANDBOX_PORT: '0',
      PRICING_URL: 'https://prices.example/',
      LOG_LEVEL: 'debug',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.sandboxPort, 0);
    assert.equal(config.partners.pricingUrl, 'https://prices.example');
    assert.equal(config.logLevel, 'debug');
    const bounded = loadConfig({
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
      DATABASE_STATEMENT_TIMEOUT_MS: '20000',
      DATABASE_POOL_MAX: '50',
    });
    assert.deepEqual(bounded.database, {
      max: 50,
      connectTimeoutMs: 1500,
      statementTimeoutMs: 20_000,
      preparedStatements: true,
    });
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'abc' }, 'PORT', /integer from 0 to 65535/],
    [{ PORT: '70000' }, 'PORT', /integer/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres:\/\//],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '50' }, 'DATABASE_CONNECT_TIMEOUT_MS', /integer from 100/],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '5s' }, 'DATABASE_STATEMENT_TIMEOUT_MS', /integer/],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX', /integer from 1 to 1000/],
    [{ PRICING_URL: 'not a url' }, 'PRICING_URL', /absolute http/],
    [{ PAYMENTS_URL: 'ftp://x' }, 'PAYMENTS_URL', /http\(s\)/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/],
    [{ STEADFAST_DEMO_API_KEY: 'short' }, 'STEADFAST_DEMO_API_KEY', /20-200/],
    [{ PAYMENTS_WEBHOOK_SECRET: 'plain' }, 'PAYMENTS_WEBHOOK_SECRET', /whsec_/],
    [{ JOB_MAX_ATTEMPTS: '0' }, 'JOB_MAX_ATTEMPTS', /integer/],
    [{ HTTP_MAX_CONNECTIONS: '0' }, 'HTTP_MAX_CONNECTIONS', /integer from 1/],
    [{ HTTP_HEADERS_TIMEOUT_MS: 'soon' }, 'HTTP_HEADERS_TIMEOUT_MS', /integer/],
    [{ HTTP_REQUEST_TIMEOUT_MS: '5000' }, 'HTTP_REQUEST_TIMEOUT_MS', /at least HTTP_HEADERS_TIMEOUT_MS/],
    [{ DATABASE_DIRECT_URL: 'postgres://db:5432/x' }, 'DATABASE_DIRECT_URL', /needs DATABASE_URL/],
    [
      { DATABASE_URL: 'postgres://pgbouncer:6432/x', DATABASE_DIRECT_URL: 'http://db' },
      'DATABASE_DIRECT_URL',
      /postgres:\/\//,
    ],
    [{ DATABASE_PREPARED_STATEMENTS: 'maybe' }, 'DATABASE_PREPARED_STATEMENTS', /on or off/],
    [{ STEADFAST_ENV: 'prod' }, 'STEADFAST_ENV', /production or development/],
    [{ STEADFAST_ALLOW_EMBEDDED_DB: 'yes please' }, 'STEADFAST_ALLOW_EMBEDDED_DB', /on or off/],
  ];
  for (const [env, variable, message] of bad) {
    test(`${variable}=${Object.values(env)[0]} fails with one line naming it`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === variable &&
          error.message.startsWith(`${variable}: `) &&
          message.test(error.message) &&
          !error.message.includes('\n'),
      );
    });
  }

  test('behind a pooler: DATABASE_DIRECT_URL turns named statements off unless asked for', () => {
    const pooled = { DATABASE_URL: 'postgres://app@pgbouncer:6432/steadfast' };
    const behind = loadConfig({ ...pooled, DATABASE_DIRECT_URL: 'postgres://app@db:5432/steadfast' });
    assert.equal(behind.databaseDirectUrl, 'postgres://app@db:5432/steadfast');
    assert.equal(behind.database.preparedStatements, false);
    const tracked = loadConfig({
      ...pooled,
      DATABASE_DIRECT_URL: 'postgres://app@db:5432/steadfast',
      DATABASE_PREPARED_STATEMENTS: 'on', // PgBouncer >= 1.21 with max_prepared_statements
    });
    assert.equal(tracked.database.preparedStatements, true);
    const same = loadConfig({ ...pooled, DATABASE_DIRECT_URL: pooled.DATABASE_URL });
    assert.equal(same.databaseDirectUrl, undefined, 'the same URL twice is no pooler');
    assert.equal(same.database.preparedStatements, true);
    assert.equal(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'off' }).database.preparedStatements, false);
  });

  test('production (NODE_ENV or STEADFAST_ENV): nothing generated, no embedded database unless allowed', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).environment, 'production');
    assert.equal(
      loadConfig({ NODE_ENV: 'production', STEADFAST_ENV: 'development' }).environment,
      'development',
    );
    const bare = loadConfig({ STEADFAST_ENV: 'production' });
    const named = (role?: Role) => configProblems(bare, role).map((p) => p.variable);
    assert.deepEqual(named(), ['DATABASE_URL', 'PAYMENTS_WEBHOOK_SECRET']);
    assert.deepEqual(named('web'), ['DATABASE_URL', 'PAYMENTS_WEBHOOK_SECRET']);
    assert.deepEqual(named('worker'), ['DATABASE_URL'], 'a worker verifies no webhooks');
    assert.deepEqual(named('sandbox'), ['PAYMENTS_WEBHOOK_SECRET'], 'the sandbox opens no database');
    assert.deepEqual(named('migrate'), ['DATABASE_URL']);
    for (const problem of configProblems(bare)) assert.ok(!problem.message.includes('\n'));
    const allowed = loadConfig({
      STEADFAST_ENV: 'production',
      STEADFAST_ALLOW_EMBEDDED_DB: '1',
      PAYMENTS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldA==',
    });
    assert.deepEqual(configProblems(allowed), []);
    assert.deepEqual(configProblems(loadConfig({})), [], 'development generates what is missing');
    assert.throws(
      () => loadConfigFor('web', { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'PAYMENTS_WEBHOOK_SECRET',
    );
  });

  test('config check masks every secret, the password in database URLs included', () => {
    const env = {
      STEADFAST_ENV: 'production',
      DATABASE_URL: 'postgres://app:pooled-pass@pgbouncer:6432/steadfast',
      DATABASE_DIRECT_URL: 'postgres://app:direct-pass@db:5432/steadfast',
      PAYMENTS_WEBHOOK_SECRET: 'whsec_bmV3LXNlY3JldC1uZXc=,whsec_b2xkLXNlY3JldC1vbGQ=',
      STEADFAST_DEMO_API_KEY: 'demo_key_abcdefghijklmnopqrstuvwxyz',
      STEADFAST_CHECK_API_KEY: 'check-key-abcdefghijklmnop',
    };
    let out = '';
    let err = '';
    const code = runConfigCheck(env, { out: (t) => (out += t), err: (t) => (err += t) });
    assert.equal(code, 0, err);
    for (const secret of ['pooled-pass', 'direct-pass', 'bmV3LXNl', 'b2xkLXNl', 'abcdefghijklmnop'])
      assert.ok(!out.includes(secret), `${secret} is not printed`);
    const printed = JSON.parse(out);
    assert.equal(printed.databaseUrl, 'postgres://app:****@pgbouncer:6432/steadfast');
    assert.equal(printed.paymentsWebhookSecret, 'whsec_****,whsec_****');
    assert.equal(printed.environment, 'production');
    assert.match(err, /ok \(production, every role\)/);
    let problems = '';
    const failing = runConfigCheck(
      { NODE_ENV: 'production' },
      { role: 'web', out: () => {}, err: (t) => (problems += t) },
    );
    assert.equal(failing, 1);
    assert.deepEqual(
      problems
        .trimEnd()
        .split('\n')
        .map((line) => line.split(':')[1].trim()),
      ['DATABASE_URL', 'PAYMENTS_WEBHOOK_SECRET'],
    );
    let bad = '';
    assert.equal(runConfigCheck({ PORT: 'x' }, { out: () => {}, err: (t) => (bad += t) }), 1);
    assert.match(bad, /^steadfast config check: PORT: must be an integer/);
  });
});

describe('config: OpenTelemetry traces (OTEL_*)', () => {
  test('off by default, and when disabled or exported nowhere', () => {
    assert.equal(loadConfig({}).tracing, undefined);
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.equal(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
    assert.equal(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing, undefined);
  });

  test('an endpoint switches it on; the traces endpoint is used as it is', () => {
    const on = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_SERVICE_NAME: 'orders-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D,tenant=t1',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
    }).tracing;
    assert.deepEqual(on, {
      url: 'http://collector:4318/v1/traces',
      headers: { 'x-api-key': 'abc==', tenant: 't1' },
      serviceName: 'orders-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      resourceAttributes: { 'deployment.environment.name': 'prod' },
      exportTimeoutMs: 10_000,
    });
    const traces = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/spans',
    }).tracing;
    assert.equal(traces?.url, 'https://traces.example/otlp/spans');
    assert.equal(traces?.serviceName, 'steadfast-orders');
    assert.equal(traces?.sampler, 'parentbased_always_on');
    assert.equal(
      loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.url,
      'http://localhost:4318/v1/traces',
    );
  });

  test('bad values fail at start naming the variable', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    for (const [name, value] of [
      ['OTEL_TRACES_EXPORTER', 'jaeger'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
      ['OTEL_EXPORTER_OTLP_HEADERS', 'no-equals-sign'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector:4318'],
      ['OTEL_SDK_DISABLED', 'maybe'],
    ]) {
      assert.throws(
        () => loadConfig({ ...on, [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === name,
        name,
      );
    }
  });

  test('config check masks the exporter headers', () => {
    let printed = '';
    runConfigCheck(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret',
      },
      { out: (text) => (printed += text), err: () => {} },
    );
    assert.ok(!printed.includes('s3cret'));
    assert.deepEqual(JSON.parse(printed).tracing.headers, { 'x-api-key': '****' });
  });
});
