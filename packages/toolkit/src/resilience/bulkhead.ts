/**
 * bulkhead({ maxConcurrent, maxQueue }): at most maxConcurrent calls run at
 * once and maxQueue wait; anything beyond is rejected at once, so one slow
 * dependency cannot hold every connection or request. A queued call waits
 * at most until the caller's deadline: then it leaves the queue with a
 * BulkheadRejectedError (`queue-timeout`). Either rejection is our own
 * capacity, never the dependency's failure — put the bulkhead outside the
 * breaker (pipeline(retry, bulkhead, circuitBreaker, timeout)) so the
 * breaker and the per-attempt timeout only see calls that got a slot.
 */
import { type Clock, type ExecContext, fullContext, type Policy, systemClock, type Work } from './context.ts';
import { BulkheadRejectedError } from './errors.ts';
import { createEmitter } from './events.ts';

export interface BulkheadOptions {
  /** calls running at once */
  maxConcurrent: number;
  /** calls waiting for a slot; beyond that, rejected at once */
  maxQueue?: number;
  /** a queued call needs at least this long before its deadline to be worth starting (default 10 ms) */
  minRemainingMs?: number;
  /** the time source of deadlines (default: the system clock) */
  clock?: Clock;
}

export function bulkhead(options: BulkheadOptions) {
  const maxQueue = options.maxQueue ?? 0;
  const minRemainingMs = options.minRemainingMs ?? 10;
  const clock = options.clock ?? systemClock;
  let active = 0;
  const queue: (() => void)[] = [];
  const onReject = createEmitter<{ reason: 'full' | 'queue-timeout' }>();

  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  const reject = (reason: 'full' | 'queue-timeout') => {
    onReject.emit({ reason });
    return new BulkheadRejectedError(
      reason === 'full' ? 'bulkhead full' : 'no bulkhead slot before the deadline',
      reason,
    );
  };

  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      const ctx = fullContext(context);
      if (active >= options.maxConcurrent) {
        if (queue.length >= maxQueue) throw reject('full');
        // the caller already left: waiting for a slot would only run work nobody reads
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const waitMs = ctx.deadline === undefined ? Infinity : ctx.deadline - clock.now() - minRemainingMs;
        if (waitMs <= 0) throw reject('queue-timeout');
        await new Promise<void>((resolve, fail) => {
          let timer: NodeJS.Timeout | undefined;
          const leave = () => {
            clearTimeout(timer);
            ctx.signal.removeEventListener('abort', cancel);
            const at = queue.indexOf(grant);
            if (at >= 0) queue.splice(at, 1);
          };
          // the slot passes straight from the releasing call to this one (active stays counted)
          const grant = () => {
            leave();
            resolve();
          };
          const cancel = () => {
            leave();
            fail(ctx.signal.reason);
          };
          queue.push(grant);
          ctx.signal.addEventListener('abort', cancel, { once: true });
          if (waitMs !== Infinity) {
            timer = setTimeout(() => {
              leave();
              fail(reject('queue-timeout'));
            }, waitMs);
          }
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
