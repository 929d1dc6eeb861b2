/** fallback(value): when the work fails (and `when` agrees), answer with a substitute instead. */
import { type ExecContext, fullContext, type Policy, type Work } from './context.ts';

export function fallback<F>(
  substitute: (error: unknown) => F | Promise<F>,
  when: (error: unknown) => boolean = () => true,
) {
  return {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T | F> {
      try {
        return await work(fullContext(context));
      } catch (error) {
        if (!when(error)) throw error;
        return substitute(error);
      }
    },
  } satisfies {
    execute: Policy['execute'] | ((work: Work<unknown>, context?: Partial<ExecContext>) => Promise<unknown>);
  };
}
