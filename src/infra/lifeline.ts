/**
 * The lifeline: a child started with `startChild(…, { lifeline: true })` gets a pipe from its
 * supervisor as stdin, and only the supervisor holds the pipe's other end. Whatever way the
 * supervisor ends — even SIGKILL, which no handler sees — the kernel closes that end, and the child
 * reads EOF. A child that calls `onLifelineCut` stops then instead of living on as an orphan.
 */
export const LIFELINE_ENV = 'PRESCALE_LIFELINE';

/** Calls `stop` once when the supervisor goes away; does nothing unless started with a lifeline. */
export function onLifelineCut(stop: () => void): void {
  if (process.env[LIFELINE_ENV] !== '1') return;
  // Our own children get no lifeline from us: a stdin they inherit this variable with is not one.
  delete process.env[LIFELINE_ENV];
  let cut = false;
  const once = (): void => {
    if (cut) return;
    cut = true;
    stop();
  };
  process.stdin.on('end', once).on('close', once).on('error', once);
  process.stdin.resume();
}
