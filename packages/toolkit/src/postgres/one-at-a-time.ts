/**
 * One run of a task at a time — the flush of an in-memory buffer into a table:
 * a call made while a run is in flight starts after it (on what is buffered
 * then), and each caller gets its own run's result. `busy()` tells a timer not
 * to queue another run behind one still in flight.
 */
export interface OneAtATime<T> {
  run(): Promise<T>;
  busy(): boolean;
}

export function oneAtATime<T>(task: () => Promise<T>): OneAtATime<T> {
  let last: Promise<T> | undefined;
  return {
    run() {
      const next: Promise<T> = (last ?? Promise.resolve()).then(
        () => task(),
        () => task(),
      );
      last = next;
      next.then(
        () => {
          if (last === next) last = undefined;
        },
        () => {
          if (last === next) last = undefined;
        },
      );
      return next;
    },
    busy: () => last !== undefined,
  };
}
