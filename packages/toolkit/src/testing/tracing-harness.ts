/**
 * Tracing for a test file: an in-memory exporter, tracing started before the
 * file's tests (simple processor: a span is exported when it ends) and shut
 * down after them, the exporter emptied after each test. Test support, not
 * part of the package (excluded from the build).
 */
import { after, afterEach, before } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing, type Tracer, type Tracing } from '../observability/index.ts';

/** Call once at the top of a test file. */
export function createTracingHarness(serviceName: string) {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  before(async () => {
    tracing = await startTracing({ serviceName, exporter, simple: true });
  });
  after(() => tracing?.shutdown());
  afterEach(() => exporter.reset());
  return {
    exporter,
    tracer(): Tracer {
      if (!tracing) throw new Error('tracing starts in before(): use the tracer inside a test');
      return tracing.tracer;
    },
  };
}
