/**
 * pipeline(a, b, c): compose policies, outermost first — `a` wraps `b` wraps
 * `c` wraps the work. The usual order for a dependency:
 * pipeline(retry, circuitBreaker, bulkhead, timeout): each attempt is judged
 * by the breaker, holds a bulkhead slot, and has its own timeout.
 */
import type { ExecContext, Policy, Work } from './context.ts';

export function pipeline(...policies: Policy[]): Policy {
  if (policies.length === 0)
    return {
      execute: (work, context) =>
        work({
          signal: context?.signal ?? new AbortController().signal,
          deadline: context?.deadline,
          attempt: 1,
        }),
    };
  return {
    execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      let wrapped: Work<T> = work;
      for (let i = policies.length - 1; i >= 1; i--) {
        const policy = policies[i];
        const inner = wrapped;
        wrapped = (ctx) => policy.execute(inner, ctx);
      }
      return policies[0].execute(wrapped, context);
    },
  };
}
