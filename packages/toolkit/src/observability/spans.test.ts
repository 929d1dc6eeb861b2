/**
 * inSpan, recordSpanError, the traceparent helpers and the context manager,
 * with an in-memory exporter: kinds, attributes, parents (stored or active),
 * failures recorded and rethrown, and binding outside and inside a context.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { createAsyncContextManager } from './context-manager.ts';
import {
  activeTraceparent,
  formatTraceparent,
  inSpan,
  parentContext,
  SpanKind,
  traceLogFields,
} from './tracing.ts';

const { exporter, tracer } = createTracingHarness('spans-test');
before(async () => {});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const finished = (name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  assert.ok(span, `span ${name}`);
  return span;
};

describe('inSpan', () => {
  test('INTERNAL by default, with its attributes, active while the work runs, ended after', async () => {
    const inside = await inSpan(tracer(), 'plain', { attributes: { a: 1 } }, async (span) => {
      assert.ok(span);
      assert.equal(trace.getActiveSpan(), span);
      const fields = traceLogFields();
      assert.deepEqual(fields, { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
      assert.equal(activeTraceparent(), formatTraceparent(span));
      return 'result';
    });
    assert.equal(inside, 'result');
    const span = finished('plain');
    assert.equal(span.kind, SpanKind.INTERNAL);
    assert.deepEqual(span.attributes, { a: 1 });
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(traceLogFields(), {}, 'nothing active outside');
    assert.equal(activeTraceparent(), undefined);
  });

  test('a stored traceparent is the parent; without one the active span is; a bad one starts a new trace', async () => {
    await inSpan(
      tracer(),
      'stored',
      { kind: SpanKind.CONSUMER, parent: `00-${TRACE}-${PARENT}-01` },
      async () => {},
    );
    const stored = finished('stored');
    assert.equal(stored.kind, SpanKind.CONSUMER);
    assert.equal(stored.spanContext().traceId, TRACE);
    assert.equal(stored.parentSpanContext?.spanId, PARENT);
    assert.equal(stored.spanContext().traceFlags, 1);
    await inSpan(tracer(), 'outer', {}, () => inSpan(tracer(), 'inner', { parent: null }, async () => {}));
    assert.equal(finished('inner').parentSpanContext?.spanId, finished('outer').spanContext().spanId);
    await inSpan(tracer(), 'bad-parent', { parent: 'not-a-traceparent' }, async () => {});
    assert.equal(finished('bad-parent').parentSpanContext, undefined);
  });

  test('a thrown Error marks the span failed with its message and an exception event, and is rethrown', async () => {
    const boom = new Error('partner said 500');
    await assert.rejects(
      inSpan(tracer(), 'failing', {}, async () => {
        throw boom;
      }),
      (error) => error === boom,
    );
    const span = finished('failing');
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'partner said 500' });
    assert.equal(span.events[0].name, 'exception');
    assert.equal(span.events[0].attributes?.['exception.message'], 'partner said 500');
    await assert.rejects(
      inSpan(tracer(), 'string-thrown', {}, async () => {
        throw 'plain text';
      }),
    );
    assert.deepEqual(finished('string-thrown').status, { code: SpanStatusCode.ERROR, message: 'plain text' });
  });

  test('formatTraceparent writes version 00, the ids and the sampled flag', async () => {
    await inSpan(tracer(), 'format', {}, async (span) => {
      assert.ok(span);
      const { traceId, spanId } = span.spanContext();
      assert.equal(formatTraceparent(span), `00-${traceId}-${spanId}-01`);
    });
    const unsampled = trace.wrapSpanContext({ traceId: TRACE, spanId: PARENT, traceFlags: 0 });
    assert.equal(formatTraceparent(unsampled), `00-${TRACE}-${PARENT}-00`);
  });

  test('parentContext: the remote span of a valid traceparent, unsampled flags kept; else the active context', () => {
    const remote = trace.getSpanContext(parentContext(`00-${TRACE}-${PARENT}-00`));
    assert.deepEqual(remote, { traceId: TRACE, spanId: PARENT, traceFlags: 0, isRemote: true });
    assert.equal(parentContext(undefined), ROOT_CONTEXT, 'outside any span: the root context');
    assert.equal(parentContext(null), ROOT_CONTEXT);
    assert.equal(trace.getSpanContext(parentContext('00-zz-yy-01')), undefined);
  });
});

describe('the async context manager', () => {
  test('before enable(): with() just calls; after: the context follows awaits; disable() forgets', async (t) => {
    const manager = createAsyncContextManager();
    t.after(() => manager.disable());
    const key = Symbol('k');
    const ctx = ROOT_CONTEXT.setValue(key, 'v');
    assert.equal(
      manager.with(ctx, () => manager.active().getValue(key)),
      undefined,
      'not enabled: nothing is stored',
    );
    manager.enable();
    const seen = await manager.with(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return manager.active().getValue(key);
    });
    assert.equal(seen, 'v');
    assert.equal(manager.active(), ROOT_CONTEXT, 'outside: the root context');
    assert.equal(
      manager.with(ctx, (a: number, b: number) => a + b, undefined, 2, 3),
      5,
      'arguments are passed on',
    );
    manager.disable();
    assert.equal(
      manager.with(ctx, () => manager.active()),
      ROOT_CONTEXT,
    );
  });

  test('bind: a function runs in the bound context with its this and arguments; anything else is returned as is', (t) => {
    const manager = createAsyncContextManager().enable();
    t.after(() => manager.disable());
    const key = Symbol('k');
    const ctx = ROOT_CONTEXT.setValue(key, 'bound');
    const target = {
      factor: 10,
      run(this: { factor: number }, n: number) {
        return [manager.active().getValue(key), this.factor * n];
      },
    };
    const bound = manager.bind(ctx, target.run);
    assert.deepEqual(bound.call(target, 4), ['bound', 40]);
    const notAFunction = { x: 1 };
    assert.equal(manager.bind(ctx, notAFunction), notAFunction);
    manager.disable();
  });
});
