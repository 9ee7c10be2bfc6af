export interface PeriodicLogger {
  warn(obj: object, msg: string): void;
}

export interface Periodic {
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `fn` now and then every `everyMs`, never two runs at once (a slow run delays the next
 * instead of piling up). A failed run is logged and the schedule goes on.
 */
export function runPeriodically(name: string, everyMs: number, fn: () => Promise<unknown>, logger: PeriodicLogger): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = fn()
      .then(() => undefined)
      .catch((e: Error) => logger.warn({ task: name, err: e.message }, 'periodic task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
