/**
 * A loop for batch dispatchers (outbox, webhook inbox): run one batch; if it
 * was full, go again at once, else wait `idleMs`. `stop()` waits for the batch
 * in progress.
 */

export interface PollLoop {
  start(): void;
  stop(): Promise<void>;
}

export function createPollLoop(options: {
  runOnce: () => Promise<number>;
  batchSize: number;
  idleMs: number;
  onError: (error: unknown) => void;
}): PollLoop {
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  function loop() {
    if (stopped) return;
    running = options.runOnce().catch((error) => {
      options.onError(error);
      return 0;
    });
    void running.then((n) => {
      if (!stopped) timer = setTimeout(loop, n >= options.batchSize ? 0 : options.idleMs);
    });
  }
  return {
    start() {
      stopped = false;
      loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
