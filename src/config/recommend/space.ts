/**
 * A tuning search space and its mapping to the unit cube the surrogate works in. Every parameter
 * becomes one coordinate in [0, 1]; a log-scaled one is spaced by log(1 + x), so equal steps are
 * equal ratios (a cache of 100 → 1,000 entries is as big a move as 10,000 → 100,000) and 0 stays
 * allowed. Integers are rounded on the way out, so every point the tuner proposes is one the app
 * accepts. A choice (a boolean or an enum) is the index of its value, an integer from 0: the
 * surrogate then treats neighbouring values as alike, which the order a profile lists them in
 * rarely contradicts, and few trials could not learn a separate effect per value anyway.
 */
import type { ParamValue } from '../../domain/app-profile.js';

export type Scale = 'linear' | 'log';

export interface ParameterSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly scale: Scale;
  /** A choice's values, in index order (min 0, max their count − 1, integer, linear). */
  readonly values?: readonly (string | boolean)[];
}

export interface SearchSpace {
  readonly parameters: readonly ParameterSpec[];
}

export type Params = Readonly<Record<string, ParamValue>>;

/** The coordinate of a value before scaling: the value, or a choice's index (−1 when not one of them). */
const numberOf = (spec: ParameterSpec, value: ParamValue | undefined): number | undefined =>
  spec.values ? spec.values.indexOf(value as string | boolean) : typeof value === 'number' ? value : undefined;

const warp = (spec: ParameterSpec, x: number): number => (spec.scale === 'log' ? Math.log1p(x) : x);
const unwarp = (spec: ParameterSpec, w: number): number => (spec.scale === 'log' ? Math.expm1(w) : w);

export function validateSpace(space: SearchSpace): void {
  if (space.parameters.length === 0) throw new RangeError('a search space needs at least one parameter');
  for (const p of space.parameters) {
    if (!(p.max > p.min)) throw new RangeError(`${p.name}: max must exceed min`);
    if (p.scale === 'log' && p.min < 0) throw new RangeError(`${p.name}: a log-scaled parameter cannot go below 0`);
    if (p.values && !(p.min === 0 && p.max === p.values.length - 1 && p.integer && p.scale === 'linear'))
      throw new RangeError(`${p.name}: a choice is an integer index, linear over 0 to its values' count − 1`);
  }
}

/** The point's coordinates in the unit cube, clamped to the space's bounds. */
export function encode(space: SearchSpace, params: Params): number[] {
  return space.parameters.map((spec) => {
    const x = numberOf(spec, params[spec.name]);
    if (x === undefined || !Number.isFinite(x) || (spec.values !== undefined && x < 0))
      throw new RangeError(`${spec.name}: missing, or not a value of the space`);
    const [lo, hi] = [warp(spec, spec.min), warp(spec, spec.max)];
    return (warp(spec, Math.min(spec.max, Math.max(spec.min, x))) - lo) / (hi - lo);
  });
}

export function decode(space: SearchSpace, unit: readonly number[]): Params {
  return Object.fromEntries(
    space.parameters.map((spec, i) => {
      const u = Math.min(1, Math.max(0, unit[i] ?? 0));
      const [lo, hi] = [warp(spec, spec.min), warp(spec, spec.max)];
      const x = Math.min(spec.max, Math.max(spec.min, unwarp(spec, lo + u * (hi - lo))));
      const value = spec.integer ? Math.round(x) : x;
      return [spec.name, spec.values ? spec.values[value]! : value];
    }),
  );
}

/** A uniformly random point of the unit cube, decoded: uniform in each parameter's own scale. */
export function randomPoint(space: SearchSpace, random: () => number): Params {
  return decode(
    space,
    space.parameters.map(() => random()),
  );
}

/** The space's parameters of `params` when each is a value within the space (else the tuner cannot place them). */
export function pointIn(space: SearchSpace, params: Readonly<Record<string, unknown>>): Params | null {
  const point: Record<string, ParamValue> = {};
  for (const spec of space.parameters) {
    const value = params[spec.name] as ParamValue | undefined;
    const x = numberOf(spec, value);
    if (value === undefined || x === undefined || !(x >= spec.min && x <= spec.max)) return null;
    point[spec.name] = value;
  }
  return point;
}

export function sameParams(space: SearchSpace, a: Params, b: Params): boolean {
  return space.parameters.every((p) => a[p.name] === b[p.name]);
}

/**
 * A grid with `steps` points per parameter, evenly spaced in each parameter's scale (integers
 * deduplicated after rounding): what an exhaustive search walks.
 */
export function grid(space: SearchSpace, steps: number): Params[] {
  const axes = space.parameters.map((_, i) => {
    const values = Array.from(
      { length: steps },
      (_, k) =>
        decode(
          space,
          space.parameters.map((__, j) => (j === i ? k / (steps - 1) : 0)),
        )[space.parameters[i]!.name]!,
    );
    return [...new Set(values)];
  });
  return axes.reduce<Record<string, ParamValue>[]>(
    (points, values, i) => {
      const name = space.parameters[i]!.name;
      return points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
    },
    [{}],
  );
}
