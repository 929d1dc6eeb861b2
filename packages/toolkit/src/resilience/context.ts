/** What every policy passes down to the work it wraps. */

export type { Clock } from '../ids/index.ts';
export { systemClock } from '../ids/index.ts';

export interface ExecContext {
  signal: AbortSignal;
  /** absolute time (clock ms) by which the caller needs the answer */
  deadline: number | undefined;
  /** 1 for the first try */
  attempt: number;
}

export type Work<T> = (context: ExecContext) => Promise<T>;

/**
 * Runs work on the caller's behalf. `Alt` is what it may answer instead of the
 * work's own value — a fallback's substitute — and `never` for the policies that
 * only pass the value or the error on, so `Policy` alone is `T` in, `T` out.
 */
export interface Policy<out Alt = never> {
  execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T | Alt>;
}

const NEVER = new AbortController().signal;

export function fullContext(context: Partial<ExecContext> | undefined): ExecContext {
  return { signal: context?.signal ?? NEVER, deadline: context?.deadline, attempt: context?.attempt ?? 1 };
}

/** Sleep that wakes early (rejecting) when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
