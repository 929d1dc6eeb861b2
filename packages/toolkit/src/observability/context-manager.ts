/**
 * The OpenTelemetry context manager on AsyncLocalStorage: the active span
 * follows the async work it started (an awaited query, a timer), so the spans
 * of a partner call nest under the request or job that made it. Installed by
 * `startTracing` only; with tracing off the API's no-op manager stays.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

export function createAsyncContextManager(): ContextManager {
  let storage: AsyncLocalStorage<Context> | undefined;
  const manager: ContextManager = {
    active: () => storage?.getStore() ?? ROOT_CONTEXT,
    with(context, fn, thisArg, ...args) {
      if (!storage) return fn.call(thisArg, ...args);
      return storage.run(context, () => fn.call(thisArg, ...args));
    },
    bind<T>(context: Context, target: T): T {
      if (typeof target !== 'function') return target;
      const fn = target as (...args: unknown[]) => unknown;
      return function (this: unknown, ...args: unknown[]) {
        return manager.with(context, () => fn.apply(this, args));
      } as T;
    },
    enable() {
      storage ??= new AsyncLocalStorage<Context>();
      return manager;
    },
    disable() {
      storage?.disable();
      storage = undefined;
      return manager;
    },
  };
  return manager;
}
