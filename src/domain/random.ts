/**
 * A seeded uniform generator on (0, 1) (mulberry32): a replay with the same seed sends the same
 * arrival pattern, so runs can be compared and tests can know what to expect. Never returns 0,
 * so −ln(u) stays finite.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4_294_967_296;
  };
}
