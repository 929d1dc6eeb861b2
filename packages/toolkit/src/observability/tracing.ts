/**
 * Trace context across every boundary, on the OpenTelemetry API only (the SDK
 * is loaded by `startTracing` when tracing is switched on). Work that outlives
 * the request — a job, an outbox event, a webhook inbox row, an operation —
 * stores the W3C `traceparent` of the span that caused it; the span that
 * handles it later starts as that span's child, so one trace shows the
 * request, the job run and every partner attempt. Without a tracer nothing
 * here starts a span, and `activeTraceparent()` is one no-op lookup.
 */
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { parseTraceparent } from './request-id.ts';

export type { Attributes, Span, Tracer };
export { SpanKind };

/** The `traceparent` header naming a span as the parent of later work. */
export function formatTraceparent(span: Span): string {
  const sc = span.spanContext();
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** The traceparent of the active span (undefined when none is active: tracing off, or outside any span). */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  return span && isSpanContextValid(span.spanContext()) ? formatTraceparent(span) : undefined;
}

/** The context whose (remote) parent is the given traceparent; the active one when it is absent or invalid. */
export function parentContext(traceparent: string | null | undefined): Context {
  const parsed = traceparent ? parseTraceparent(traceparent) : undefined;
  if (!parsed) return context.active();
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.parentId,
    traceFlags: Number.parseInt(parsed.flags, 16) & 1,
    isRemote: true,
  });
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** a stored traceparent to continue (a job's, an outbox row's); default: the active span */
  parent?: string | null;
}

/** Marks a span failed with the error (its message and type), without ending it. */
export function recordSpanError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Run `work` inside a span that is active while it runs (its partner calls
 * become children); a thrown error marks it failed and is rethrown. Without a
 * tracer, just `work(undefined)`.
 */
export function inSpan<T>(
  tracer: Tracer | undefined,
  name: string,
  options: SpanOptions,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracer) return work(undefined);
  const parent = parentContext(options.parent);
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        recordSpanError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Trace and span ids of the active span for a log line (pino mixin); empty when none. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
