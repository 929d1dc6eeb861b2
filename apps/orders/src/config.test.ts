import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

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
    assert.deepEqual(config.database, { connectTimeoutMs: 3000, statementTimeoutMs: 5000 });
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
    });
    assert.deepEqual(bounded.database, { connectTimeoutMs: 1500, statementTimeoutMs: 20_000 });
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'abc' }, 'PORT', /integer from 0 to 65535/],
    [{ PORT: '70000' }, 'PORT', /integer/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres:\/\//],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '50' }, 'DATABASE_CONNECT_TIMEOUT_MS', /integer from 100/],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '5s' }, 'DATABASE_STATEMENT_TIMEOUT_MS', /integer/],
    [{ PRICING_URL: 'not a url' }, 'PRICING_URL', /absolute http/],
    [{ PAYMENTS_URL: 'ftp://x' }, 'PAYMENTS_URL', /http\(s\)/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/],
    [{ STEADFAST_DEMO_API_KEY: 'short' }, 'STEADFAST_DEMO_API_KEY', /20-200/],
    [{ PAYMENTS_WEBHOOK_SECRET: 'plain' }, 'PAYMENTS_WEBHOOK_SECRET', /whsec_/],
    [{ JOB_MAX_ATTEMPTS: '0' }, 'JOB_MAX_ATTEMPTS', /integer/],
    [{ HTTP_MAX_CONNECTIONS: '0' }, 'HTTP_MAX_CONNECTIONS', /integer from 1/],
    [{ HTTP_HEADERS_TIMEOUT_MS: 'soon' }, 'HTTP_HEADERS_TIMEOUT_MS', /integer/],
    [{ HTTP_REQUEST_TIMEOUT_MS: '5000' }, 'HTTP_REQUEST_TIMEOUT_MS', /at least HTTP_HEADERS_TIMEOUT_MS/],
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
});
