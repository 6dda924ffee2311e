/**
 * When a loop's iterations are due: on a fixed grid of its interval, offset by a phase drawn from
 * its id. Loops started together (a deploy, a batch of creations, a server restart) so tick at
 * spread-out times instead of all at once — the jitter periodic controllers use — and a slow
 * iteration does not push every later one back. Pure and deterministic: usable in workflow code.
 */

/** FNV-1a over the id's UTF-16 code units: stable across processes and versions. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The loop's offset within its interval, in whole ms. */
export function phaseOf(id: string, intervalMs: number): number {
  return hash(id) % intervalMs;
}

/** The first grid point strictly after `nowMs` (epoch ms) for this interval and phase. */
export function nextTick(nowMs: number, intervalMs: number, phaseMs: number): number {
  return phaseMs + (Math.floor((nowMs - phaseMs) / intervalMs) + 1) * intervalMs;
}

/**
 * The least time between the starts of two iterations that messages asked for: a storm of pauses,
 * resumes or policy changes then costs one iteration per spacing, not one per message, while the
 * first message after a quiet spell still acts at once.
 */
export function wakeSpacingMs(intervalMs: number): number {
  return Math.min(5_000, intervalMs / 4);
}
