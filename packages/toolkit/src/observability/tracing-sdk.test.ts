/**
 * startTracing itself: each sampler, the resource, the tracer's scope, batch
 * export on flush, OTLP/HTTP to a url with headers, the global provider and
 * context manager set and removed. Whatever tracing other test files started
 * (they share this process under --test-isolation=none) is set aside and put back.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import {
  context,
  DiagLogLevel,
  diag,
  type ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing, TRACE_SAMPLERS, type Tracing, type TracingOptions } from './tracing-sdk.ts';

const API = Symbol.for('opentelemetry.js.api.1');
type Globals = Record<string, unknown>;

/** Runs `work` with a tracing of its own as the registered global one, then restores the globals. */
async function withOwnTracing<T>(
  options: Partial<TracingOptions>,
  work: (tracing: Tracing, exporter: InMemorySpanExporter) => Promise<T>,
): Promise<T> {
  const globals = (globalThis as unknown as Record<symbol, Globals | undefined>)[API];
  const saved = { trace: globals?.trace, context: globals?.context };
  // the API's proxy provider is shared: registering ours sets its delegate, so that is put back too
  const delegate = (saved.trace as ProxyTracerProvider | undefined)?.getDelegate();
  if (globals) {
    delete globals.trace;
    delete globals.context;
  }
  const exporter = new InMemorySpanExporter();
  const tracing = await startTracing({ serviceName: 'sdk-test', exporter, simple: true, ...options });
  try {
    return await work(tracing, exporter);
  } finally {
    await tracing.shutdown();
    const now = (globalThis as unknown as Record<symbol, Globals | undefined>)[API];
    if (now) {
      for (const key of ['trace', 'context'] as const) {
        if (saved[key] === undefined) delete now[key];
        else now[key] = saved[key];
      }
    }
    if (delegate) (saved.trace as ProxyTracerProvider).setDelegate(delegate);
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const remote = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    traceFlags: sampled ? 1 : 0,
    isRemote: true,
  });
/** [a root span, the child of a sampled remote parent, of an unsampled one]: recorded? */
const decisions = (tracer: Tracer) =>
  [undefined, remote(true), remote(false)].map((parent) => {
    const span: Span = tracer.startSpan('s', {}, parent ?? ROOT_CONTEXT);
    span.end();
    return span.spanContext().traceFlags === 1;
  });

describe('startTracing', () => {
  test('the samplers it knows', () => {
    assert.deepEqual(TRACE_SAMPLERS, [
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ]);
  });

  const cases: [Partial<TracingOptions>, boolean[]][] = [
    [{ sampler: 'always_on' }, [true, true, true]],
    [{ sampler: 'always_off' }, [false, false, false]],
    [{ sampler: 'traceidratio' }, [true, true, true]],
    [{ sampler: 'traceidratio', samplerRatio: 0 }, [false, false, false]],
    [{ sampler: 'parentbased_always_on' }, [true, true, false]],
    [{}, [true, true, false]],
    [{ sampler: 'parentbased_always_off' }, [false, true, false]],
    [{ sampler: 'parentbased_traceidratio', samplerRatio: 0 }, [false, true, false]],
    [{ sampler: 'parentbased_traceidratio' }, [true, true, false]],
  ];
  for (const [options, expected] of cases) {
    test(`sampler ${JSON.stringify(options)}: root, sampled parent, unsampled parent → ${expected}`, async () => {
      const errors: string[] = [];
      diag.setLogger(
        {
          error: (message: string) => errors.push(message),
          warn: () => {},
          info: () => {},
          debug: () => {},
          verbose: () => {},
        },
        DiagLogLevel.ERROR,
      );
      try {
        await withOwnTracing(options, async (tracing) => {
          assert.deepEqual(decisions(tracing.tracer), expected);
        });
      } finally {
        diag.disable();
      }
      assert.deepEqual(errors, [], 'no complaint (a parent-based sampler has its root)');
    });
  }

  test('spans carry the service name, the resource attributes and the toolkit scope', async () => {
    await withOwnTracing(
      { resourceAttributes: { 'deployment.environment.name': 'test' } },
      async (tracing, exporter) => {
        tracing.tracer.startSpan('one').end();
        const [span] = exporter.getFinishedSpans();
        assert.equal(span.resource.attributes['service.name'], 'sdk-test');
        assert.equal(span.resource.attributes['deployment.environment.name'], 'test');
        assert.equal(span.instrumentationScope.name, '@steadfast/toolkit');
      },
    );
  });

  test('batched by default: exported on flush', async () => {
    await withOwnTracing({ simple: false }, async (tracing, exporter) => {
      tracing.tracer.startSpan('batched').end();
      await tracing.flush();
      assert.deepEqual(
        exporter.getFinishedSpans().map((s) => s.name),
        ['batched'],
      );
    });
  });

  test('the global provider and context manager are set, and removed by shutdown', async () => {
    const key = Symbol('k');
    await withOwnTracing({}, async (tracing, exporter) => {
      trace.getTracer('anyone').startSpan('global').end();
      assert.deepEqual(
        exporter.getFinishedSpans().map((s) => s.name),
        ['global'],
      );
      assert.equal(
        context.with(ROOT_CONTEXT.setValue(key, 'v'), () => context.active().getValue(key)),
        'v',
      );
      await tracing.shutdown();
      assert.equal(trace.getTracer('anyone').startSpan('after').isRecording(), false);
      assert.equal(
        context.with(ROOT_CONTEXT.setValue(key, 'v'), () => context.active().getValue(key)),
        undefined,
      );
      tracing.tracer.startSpan('after shutdown').end();
      assert.deepEqual(
        exporter.getFinishedSpans().map((s) => s.name),
        [],
        'the exporter is shut down',
      );
    });
  });

  test('without an exporter: OTLP/HTTP to the url, with the headers', async (t) => {
    const seen: [string | undefined, string | undefined, string | undefined][] = [];
    const collector = createServer((request, response) => {
      seen.push([request.method, request.url, request.headers['x-api-key'] as string | undefined]);
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    t.after(() => collector.close());
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
    await withOwnTracing({ exporter: undefined, url, headers: { 'x-api-key': 'k-1' } }, async (tracing) => {
      tracing.tracer.startSpan('exported').end();
      await tracing.flush();
    });
    assert.deepEqual(seen, [['POST', '/v1/traces', 'k-1']]);
  });
});
