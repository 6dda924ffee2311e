import type { Child } from '../infra/child.js';
import type { Logger } from '../logger.js';

/**
 * Keeps a long-running command alive until Ctrl-C / SIGTERM or until one of its children dies,
 * then stops everything in reverse order of start. Resolves with the exit code.
 */
export async function runUntilStopped(logger: Logger, stopServices: () => Promise<void>, children: Child[] = []): Promise<number> {
  const reason = await new Promise<{ code: number; why: string }>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve({ code: 0, why: signal }));
    for (const child of children) {
      void child.exited.then(async (code) => resolve({ code: 1, why: `${child.name} exited (code ${code}); its log ends:\n${await child.tail()}` }));
    }
  });
  logger.info({ reason: reason.why }, 'stopping');
  await stopServices();
  for (const child of [...children].reverse()) await child.stop();
  logger.info('stopped');
  return reason.code;
}
