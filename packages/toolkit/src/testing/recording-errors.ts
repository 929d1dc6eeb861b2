/**
 * A BackgroundErrors for tests that keeps each report: its component, the
 * error's message, and the context given (left out when none was). Shared by
 * the blocks' test harnesses; use it to assert what background work reported.
 */
import type { BackgroundErrors } from '../observability/index.ts';

export interface Reported {
  component: string;
  message: string;
  context?: Record<string, unknown>;
}

export function recordingErrors(): BackgroundErrors & { seen: Reported[] } {
  const seen: Reported[] = [];
  return {
    seen,
    report: (component, error, context) =>
      void seen.push({
        component,
        message: (error as Error).message,
        ...(context === undefined ? {} : { context }),
      }),
  };
}
