import type { Child } from '../infra/child.js';
import type { Logger } from '../logger.js';

/** Once the deadline has passed, how long children get to end before their process groups are killed. */
const LAST_GRACE_MS = 3_000;

/**
 * Keeps a long-running command alive until Ctrl-C / SIGTERM or until one of its children dies,
 * then stops everything in reverse order of start. Resolves with the exit code.
 *
 * The orderly stop may wedge (a worker waiting on an activity stuck in a query, a server that no
 * longer answers): past `deadlineMs` we stop waiting, say what was cut short, end the children
 * ourselves and leave, since the wedged work still holds the event loop.
 */
export async function runUntilStopped(
  logger: Logger,
  stopServices: () => Promise<void>,
  options: { children?: Child[]; deadlineMs: number },
): Promise<number> {
  const children = options.children ?? [];
  const reason = await new Promise<{ code: number; why: string }>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve({ code: 0, why: signal }));
    for (const child of children) {
      void child.exited.then(async (code) =>
        resolve({ code: 1, why: `${child.name} exited (code ${code}); its log ends:\n${await child.tail()}` }),
      );
    }
  });
  logger.info({ reason: reason.why }, 'stopping');
  const steps = [
    { name: 'the API and workers', run: stopServices },
    ...[...children].reverse().map((child) => ({ name: child.name, run: () => child.stop() })),
  ];
  const unfinished = new Set(steps.map((s) => s.name));
  const orderly = (async () => {
    for (const step of steps) {
      await step.run();
      unfinished.delete(step.name);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    orderly.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  if (inTime) {
    logger.info('stopped');
    return reason.code;
  }
  logger.error(
    { cutShort: [...unfinished] },
    `shutdown did not finish within ${options.deadlineMs / 1000} s: cut short stopping ${[...unfinished].join(', ')}; ending the remaining processes now`,
  );
  await Promise.all(children.map((child) => child.stop(LAST_GRACE_MS)));
  process.exit(1);
}
