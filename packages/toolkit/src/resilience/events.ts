/** A minimal typed event: `on(listener)` returns a disposable that removes it. */

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export interface Emitter<T> {
  event: Event<T>;
  emit(value: T): void;
  readonly size: number;
}

export function createEmitter<T>(): Emitter<T> {
  const listeners = new Set<(value: T) => void>();
  return {
    event: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    emit(value) {
      if (listeners.size === 0) return;
      for (const listener of listeners) listener(value);
    },
    get size() {
      return listeners.size;
    },
  };
}
