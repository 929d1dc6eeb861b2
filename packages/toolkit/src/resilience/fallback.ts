/**
 * fallback(substitute, when): when the work fails (and `when` agrees), answer
 * substitute(error, context) instead. The substitute's type joins the result:
 * pipeline(fallback(() => EMPTY), retry, timeout) answers `T | typeof EMPTY`.
 */
import { type ExecContext, fullContext, type Policy, type Work } from './context.ts';

export function fallback<F>(
  substitute: (error: unknown, context: ExecContext) => F | Promise<F>,
  when: (error: unknown) => boolean = () => true,
): Policy<F> {
  return {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T | F> {
      const ctx = fullContext(context);
      try {
        return await work(ctx);
      } catch (error) {
        if (!when(error)) throw error;
        return substitute(error, ctx);
      }
    },
  };
}
