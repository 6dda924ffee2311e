import { setTimeout as sleep } from 'node:timers/promises';

export interface PollWindow {
  intervalMs: number;
  timeoutMs: number;
}

/** Probes until `done` holds or the window closes; returns the last probe and whether it finished. */
export async function poll<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { intervalMs, timeoutMs }: PollWindow,
): Promise<{ value: T; done: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return { value, done: true };
    if (Date.now() + intervalMs > deadline) return { value, done: false };
    await sleep(intervalMs);
  }
}
