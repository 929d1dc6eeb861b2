/**
 * bulkhead({ maxConcurrent, maxQueue }): at most maxConcurrent calls run at
 * once and maxQueue wait; anything beyond is rejected at once, so one slow
 * dependency cannot hold every connection or request.
 */
import { type ExecContext, fullContext, type Policy, type Work } from './context.ts';
import { BulkheadRejectedError } from './errors.ts';
import { createEmitter } from './events.ts';

export interface BulkheadOptions {
  /** calls running at once */
  maxConcurrent: number;
  /** calls waiting for a slot; beyond that, rejected at once */
  maxQueue?: number;
}

export function bulkhead(options: BulkheadOptions) {
  const maxQueue = options.maxQueue ?? 0;
  let active = 0;
  const queue: (() => void)[] = [];
  const onReject = createEmitter<void>();

  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };

  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      const ctx = fullContext(context);
      if (active >= options.maxConcurrent) {
        if (queue.length >= maxQueue) {
          onReject.emit();
          throw new BulkheadRejectedError('bulkhead full');
        }
        await new Promise<void>((resolve, reject) => {
          const grant = () => {
            ctx.signal.removeEventListener('abort', cancel);
            resolve();
          };
          const cancel = () => {
            queue.splice(queue.indexOf(grant), 1);
            reject(ctx.signal.reason);
          };
          queue.push(grant);
          ctx.signal.addEventListener('abort', cancel, { once: true });
        });
      } else {
        active++;
      }
      try {
        return await work(ctx);
      } finally {
        release();
      }
    },
  };
  return {
    ...policy,
    active: () => active,
    queued: () => queue.length,
    onReject: onReject.event,
  };
}
