/**
 * Tracing off (the default) costs nothing: the OpenTelemetry SDK and exporter
 * are never loaded (a resolve hook in a fresh process records every import of
 * the web and worker wiring and of a request), and the app registers no span
 * hooks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

test('with tracing off no OpenTelemetry SDK module is loaded and no request gets a span', () => {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { seen.add(specifier); return next(specifier, context); } });
    const { loadConfig } = await import(${JSON.stringify(here('./config.ts'))});
    await import(${JSON.stringify(here('./commands/serve.ts'))});
    await import(${JSON.stringify(here('./commands/worker.ts'))});
    const { buildTestApp, createOrder } = await import(${JSON.stringify(here('./testing.ts'))});
    const app = await buildTestApp();
    await createOrder(app);
    const decorated = app.server.hasRequestDecorator('span');
    await app.close();
    const otel = [...seen].filter((s) => s.startsWith('@opentelemetry/'));
    console.log(JSON.stringify({ tracing: loadConfig({}).tracing ?? null, decorated, otel }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: process.env,
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  assert.deepEqual(result, { tracing: null, decorated: false, otel: ['@opentelemetry/api'] });
});
