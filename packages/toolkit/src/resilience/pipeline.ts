/**
 * pipeline(a, b, c): one typed composition every policy joins, outermost
 * first — `a` wraps `b` wraps `c` wraps the work, and each receives the
 * ExecContext (signal, deadline, attempt) from the one outside it. The
 * result is `T` plus whatever a policy may answer instead (a fallback's
 * substitute). The usual order for a dependency:
 * pipeline(fallback, retry, circuitBreaker, bulkhead, timeout): each attempt is
 * judged by the breaker, holds a bulkhead slot and has its own timeout; the
 * fallback answers only once the retries are spent. A staleIfError cache goes
 * first, and the pipeline then answers `Cached<V>` for the key in the context.
 */
import { type ExecContext, fullContext, type Policy, type Work } from './context.ts';
import type { KeyedPolicy, StaleIfError } from './stale-if-error.ts';

/**
 * What a policy may answer instead of the work's value: `A` for a Policy<A>
 * (fallback), never for the rest — a custom policy that substitutes values
 * says so by declaring itself a Policy<A>.
 */
export type AltOf<P> = P extends Policy ? never : P extends Policy<infer A> ? A : unknown;

export function pipeline<K, V>(cache: StaleIfError<K, V>, ...policies: Policy<V>[]): KeyedPolicy<K, V>;
export function pipeline<P extends Policy<unknown>[]>(...policies: P): Policy<AltOf<P[number]>>;
export function pipeline(...policies: Policy<unknown>[]): Policy<unknown> {
  if (policies.length === 0) return { execute: (work, context) => work(fullContext(context)) };
  return {
    execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<unknown> {
      let wrapped: Work<unknown> = work;
      for (let i = policies.length - 1; i >= 1; i--) {
        const policy = policies[i];
        const inner = wrapped;
        wrapped = (ctx) => policy.execute(inner, ctx);
      }
      return policies[0].execute(wrapped, context);
    },
  };
}
