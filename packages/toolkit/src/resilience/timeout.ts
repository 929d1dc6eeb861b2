/**
 * timeout({ timeoutMs }): the work gets a signal that aborts after timeoutMs
 * (or at the caller's deadline, or when the caller aborts), so the
 * underlying I/O is really cancelled; the caller gets a TimeoutError (or the
 * work's own error when it wrapped that TimeoutError as its cause, as the
 * client's UnknownOutcomeError for a write that may have acted). When
 * the timer fires, the abort waits for the I/O phase of that loop turn
 * (setImmediate): an answer that already arrived while the process was busy
 * is read, not thrown away as the dependency's timeout. And when the timer
 * fires later than its own length (the event loop was stalled by our own
 * work, so nothing could be read), the attempt gets one more period first.
 */
import { type Clock, type ExecContext, fullContext, type Policy, systemClock, type Work } from './context.ts';
import { TimeoutError } from './errors.ts';
import { createEmitter } from './events.ts';

export interface TimeoutOptions {
  /** the longest the work may run; a nearer caller deadline cuts it shorter */
  timeoutMs: number;
  /** the time source (default: the system clock) */
  clock?: Clock;
}

/**
 * How much longer an attempt may run after its timer fired `stalledMs` late:
 * one more period when this process was stalled longer than the period (and
 * 50 ms), never past the caller's deadline; 0 = expire now.
 */
export function stallExtensionMs(ms: number, stalledMs: number, deadline: number | undefined, nowMs: number) {
  if (stalledMs <= Math.max(ms, 50)) return 0;
  return Math.max(0, Math.min(ms, deadline === undefined ? ms : deadline - nowMs));
}

export function timeout(options: TimeoutOptions) {
  const clock = options.clock ?? systemClock;
  const onTimeout = createEmitter<{ timeoutMs: number }>();
  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      const outer = fullContext(context);
      const remaining = outer.deadline === undefined ? Infinity : outer.deadline - clock.now();
      const ms = Math.max(0, Math.min(options.timeoutMs, remaining));
      const controller = new AbortController();
      let timedOut = false;
      let settled = false;
      let late: NodeJS.Immediate | undefined;
      const expire = () => {
        late = setImmediate(() => {
          if (settled) return;
          timedOut = true;
          controller.abort(new TimeoutError(`timed out after ${Math.round(ms)} ms`));
        });
      };
      const armedAt = performance.now();
      let timer = setTimeout(() => {
        // the timer fired later than its own length: this process was stalled and
        // could not read the answer — one more period before blaming the dependency
        const extraMs = stallExtensionMs(ms, performance.now() - armedAt - ms, outer.deadline, clock.now());
        if (extraMs > 0) timer = setTimeout(expire, extraMs);
        else expire();
      }, ms);
      const forward = () => controller.abort(outer.signal.reason);
      if (outer.signal.aborted) forward();
      else outer.signal.addEventListener('abort', forward, { once: true });
      try {
        return await work({ signal: controller.signal, deadline: outer.deadline, attempt: outer.attempt });
      } catch (error) {
        if (timedOut) {
          onTimeout.emit({ timeoutMs: ms });
          // work that wrapped our TimeoutError decided what it means (a write that may have
          // acted is an UnknownOutcomeError, never to be retried): pass its verdict on
          if ((error as Error)?.cause === controller.signal.reason) throw error;
          throw controller.signal.reason;
        }
        throw error;
      } finally {
        settled = true;
        clearTimeout(timer);
        clearImmediate(late);
        outer.signal.removeEventListener('abort', forward);
      }
    },
  };
  return { ...policy, onTimeout: onTimeout.event };
}
